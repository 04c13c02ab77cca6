package impact

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
)

// sub builds a subgraph from "from TYPE to" lines; CIs are named by their
// ids. Classes: names starting with "g" are Clusters, "r" Racks, others
// Applications. members sets Node.Members for groups.
func sub(lines []string, attrs map[string]map[string]any, members map[string]int) graph.Subgraph {
	s := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	node := func(id string) {
		if s.Nodes[id] != nil {
			return
		}
		class := graph.ClassApplication
		switch id[0] {
		case 'g':
			class = graph.ClassCluster
		case 'r':
			class = graph.ClassRack
		}
		s.Nodes[id] = &graph.Node{CI: graph.CIHead{ID: id, Name: id, Class: class}, Attributes: attrs[id], Members: members[id]}
	}
	for _, l := range lines {
		f := strings.Fields(l)
		node(f[0])
		node(f[2])
		s.Edges = append(s.Edges, graph.Relation{From: f[0], Type: f[1], To: f[2]})
	}
	return s
}

func summary(st State) string {
	var parts []string
	for id, eff := range st.Effect {
		parts = append(parts, fmt.Sprintf("%s=%s@%d", id, eff, st.Distance[id]))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func TestPropagate(t *testing.T) {
	cat := graph.DefaultCatalogue()
	min2 := map[string]map[string]any{"g": {"minHealthy": 2.0}}
	tests := []struct {
		name    string
		edges   []string
		attrs   map[string]map[string]any
		members map[string]int
		seeds   []string
		want    string
	}{
		{"chain", []string{"a DEPENDS_ON b", "b RUNS_ON c"}, nil, nil, []string{"c"},
			"a=DOWN@2 b=DOWN@1 c=DOWN@0"},
		{"containment flows from container", []string{"r CONTAINS s", "a HOSTED_ON s"}, nil, nil, []string{"r"},
			"a=DOWN@2 r=DOWN@0 s=DOWN@1"},
		{"connects-to does not propagate", []string{"a CONNECTS_TO b"}, nil, nil, []string{"b"},
			"b=DOWN@0"},
		{"one member of three down", []string{"m1 MEMBER_OF g", "m2 MEMBER_OF g", "m3 MEMBER_OF g", "a DEPENDS_ON g"}, min2, nil, []string{"m1"},
			"a=DEGRADED@2 g=DEGRADED@1 m1=DOWN@0"},
		{"two members of three down", []string{"m1 MEMBER_OF g", "m2 MEMBER_OF g", "m3 MEMBER_OF g", "a DEPENDS_ON g"}, min2, nil, []string{"m1", "m2"},
			"a=DOWN@2 g=DOWN@1 m1=DOWN@0 m2=DOWN@0"},
		{"members outside the subgraph still count", []string{"m1 MEMBER_OF g"}, nil, map[string]int{"g": 3}, []string{"m1"},
			"g=DEGRADED@1 m1=DOWN@0"},
		{"sole member down takes the group down", []string{"m1 MEMBER_OF g"}, nil, map[string]int{"g": 1}, []string{"m1"},
			"g=DOWN@1 m1=DOWN@0"},
		{"degraded member degrades the group", []string{"m1 MEMBER_OF g1", "m2 MEMBER_OF g1", "g1 MEMBER_OF g2", "x MEMBER_OF g2"},
			nil, nil, []string{"m1"}, "g1=DEGRADED@1 g2=DEGRADED@2 m1=DOWN@0"},
		{"worse effect wins and explains", []string{"m1 MEMBER_OF g", "m2 MEMBER_OF g", "a DEPENDS_ON g", "a DEPENDS_ON b"}, nil, nil, []string{"m1", "b"},
			"a=DOWN@1 b=DOWN@0 g=DEGRADED@1 m1=DOWN@0"},
		{"cycle", []string{"a DEPENDS_ON b", "b DEPENDS_ON c", "c DEPENDS_ON a"}, nil, nil, []string{"a"},
			"a=DOWN@0 b=DOWN@2 c=DOWN@1"},
		{"degraded through a cycle of groups", []string{"m1 MEMBER_OF g1", "m2 MEMBER_OF g1", "g1 MEMBER_OF g2", "g2 MEMBER_OF g1"},
			nil, nil, []string{"m1"}, "g1=DEGRADED@1 g2=DEGRADED@2 m1=DOWN@0"},
		{"percentage threshold", []string{"m1 MEMBER_OF g", "m2 MEMBER_OF g", "m3 MEMBER_OF g", "m4 MEMBER_OF g"},
			map[string]map[string]any{"g": {"minHealthyPercent": "75%"}}, nil, []string{"m1", "m2"},
			"g=DOWN@1 m1=DOWN@0 m2=DOWN@0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Propagate(cat, sub(tt.edges, tt.attrs, tt.members), tt.seeds)
			if got := summary(st); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRequiredHealthy(t *testing.T) {
	tests := []struct {
		attrs   map[string]any
		members int
		want    int
	}{
		{nil, 5, 1},
		{map[string]any{"minHealthy": 2.0}, 5, 2},
		{map[string]any{"minHealthy": "3"}, 5, 3},
		{map[string]any{"minHealthyPercent": 50.0}, 5, 3},
		{map[string]any{"minHealthyPercent": "100%"}, 4, 4},
		{map[string]any{"minHealthy": 1.0, "minHealthyPercent": 100.0}, 4, 1},
		{map[string]any{"minHealthy": "lots"}, 4, 1},
	}
	for _, tt := range tests {
		if got := RequiredHealthy(tt.attrs, tt.members); got != tt.want {
			t.Errorf("RequiredHealthy(%v, %d) = %d, want %d", tt.attrs, tt.members, got, tt.want)
		}
	}
}

// denseSubgraph is a random graph of n CIs and m relations in which every
// tenth CI is a redundancy group.
func denseSubgraph(n, m int, seed int64) graph.Subgraph {
	rng := rand.New(rand.NewSource(seed))
	s := graph.Subgraph{Nodes: map[string]*graph.Node{}}
	id := func(i int) string { return fmt.Sprintf("n%05d", i) }
	for i := 0; i < n; i++ {
		class := graph.ClassApplication
		if i%10 == 0 {
			class = graph.ClassCluster
		}
		s.Nodes[id(i)] = &graph.Node{CI: graph.CIHead{ID: id(i), Name: id(i), Class: class}, Attributes: map[string]any{"minHealthy": 2.0}}
	}
	types := []string{graph.RelDependsOn, graph.RelRunsOn, graph.RelHostedOn, graph.RelContains}
	for len(s.Edges) < m {
		a, b := rng.Intn(n), rng.Intn(n)
		if a == b {
			continue
		}
		typ := types[rng.Intn(len(types))]
		if b%10 == 0 && rng.Intn(2) == 0 {
			typ = graph.RelMemberOf
			s.Nodes[id(b)].Members++
		}
		s.Edges = append(s.Edges, graph.Relation{From: id(a), Type: typ, To: id(b)})
	}
	return s
}

func BenchmarkPropagateDense(b *testing.B) {
	cat := graph.DefaultCatalogue()
	s := denseSubgraph(2000, 20000, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := Propagate(cat, s, []string{"n00001", "n00002"})
		if len(st.Effect) < 2 {
			b.Fatal("nothing propagated")
		}
	}
}
