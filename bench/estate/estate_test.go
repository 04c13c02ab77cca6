package estate

import (
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestGenerateIsLegalAndDeterministic(t *testing.T) {
	cat := graph.DefaultCatalogue()
	for _, size := range []int{2000, 100000} {
		e := Generate(size, 1)
		if len(e.CIs) < size*9/10 || len(e.CIs) > size*11/10 {
			t.Errorf("Generate(%d): %d CIs", size, len(e.CIs))
		}
		if len(e.Rels) < 3*len(e.CIs) {
			t.Errorf("Generate(%d): only %d relations for %d CIs", size, len(e.Rels), len(e.CIs))
		}
		seen := map[string]bool{}
		for _, c := range e.CIs {
			if err := cat.CheckClass("class", c.Class); err != nil {
				t.Fatal(err)
			}
			if seen[c.Name] {
				t.Fatalf("duplicate name %s", c.Name)
			}
			seen[c.Name] = true
		}
		for _, r := range e.Rels {
			if err := cat.CheckRelation(r.Type, e.CIs[r.From].Class, e.CIs[r.To].Class); err != nil {
				t.Fatalf("%s -%s-> %s: %v", e.CIs[r.From].Name, r.Type, e.CIs[r.To].Name, err)
			}
		}
		want := map[Role]string{RolePod: graph.ClassPod, RoleRack: graph.ClassRack, RoleVolume: graph.ClassStorageVolume, RoleDataCentre: graph.ClassDataCenter}
		for _, role := range Roles {
			if got := e.CIs[e.Seeds[role]].Class; got != want[role] {
				t.Errorf("seed %s is a %s", role, got)
			}
		}
		again := Generate(size, 1)
		if len(again.Rels) != len(e.Rels) || again.Rels[len(e.Rels)/2] != e.Rels[len(e.Rels)/2] {
			t.Errorf("Generate(%d) is not deterministic", size)
		}
		t.Logf("%d: %d CIs, %d relations", size, len(e.CIs), len(e.Rels))
	}
}
