package demo

import (
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// TestEstateIsValid checks the demo against the catalogue without a store,
// so a bad edit to the estate fails here with a precise message.
func TestEstateIsValid(t *testing.T) {
	cat := graph.DefaultCatalogue()
	cis, rels := estate()
	classOf := map[string]string{}
	for _, c := range cis {
		if _, dup := classOf[c.name]; dup {
			t.Fatalf("CI %q defined twice", c.name)
		}
		classOf[c.name] = c.class
	}
	for i, in := range Batch().Upserts {
		if err := cat.ValidateCIInput(in); err != nil {
			t.Errorf("upsert %d (%s): %v", i, *in.Name, err)
		}
	}
	seen := map[rel]bool{}
	for _, r := range rels {
		from, ok1 := classOf[r.from]
		to, ok2 := classOf[r.to]
		if !ok1 || !ok2 {
			t.Errorf("relation %v names an unknown CI", r)
			continue
		}
		if err := cat.CheckRelation(r.typ, from, to); err != nil {
			t.Errorf("relation %v: %v", r, err)
		}
		if seen[r] {
			t.Errorf("relation %v listed twice", r)
		}
		seen[r] = true
	}
}
