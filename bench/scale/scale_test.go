package main

import (
	"context"
	"testing"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// TestContendersAgree loads a small estate into both stores and checks
// that every contender of the benchmark finds the same CIs for every seed:
// the store calls, the Cypher floor and the bare BFS the same reached set,
// GraphQL on both stores the same impacted set.
func TestContendersAgree(t *testing.T) {
	uri := neo4jtest.Require(t)
	neo4jtest.Exclusive(t, uri)
	ctx := context.Background()
	b, err := setup(ctx, config{ci: 1500, seed: 7, store: "both", uri: uri, depth: 6, batch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if len(b.contenders) != 8 {
		t.Fatalf("%d contenders, want 8", len(b.contenders))
	}
	reached, impacted, err := b.check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range estate.Roles {
		if reached[role] < 2 || impacted[role] < 1 {
			t.Errorf("seed %s: %d reached, %d impacted", role, reached[role], impacted[role])
		}
		t.Logf("seed %s: %d reached, %d impacted", role, reached[role], impacted[role])
	}
	if reached[estate.RoleDataCentre] <= reached[estate.RolePod] {
		t.Errorf("a data centre reaches %d CIs, a pod %d", reached[estate.RoleDataCentre], reached[estate.RolePod])
	}
}
