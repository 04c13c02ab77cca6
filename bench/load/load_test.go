package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/bench/loadgen"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// TestLoadShort is the load test in little, on both stores: 5 s of mixed
// reads and writes from 8 clients through a real server on loopback, with
// no error and no acknowledged write missing afterwards. It prints the
// figures but asserts no timing: the machine decides those.
func TestLoadShort(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	eachstore.Run(t, func(t *testing.T, st graph.Store) {
		ctx := context.Background()
		url, stop, err := Serve(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		rep, err := loadgen.Run(ctx, &loadgen.Client{URL: url, Actor: "load"}, loadgen.Options{Duration: 5 * time.Second, Clients: 8})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		rep.Print(&out)
		t.Logf("\n%s", out.String())
		if rep.Requests() == 0 || rep.Acknowledged == 0 {
			t.Fatalf("no load was sent: %d requests, %d writes acknowledged", rep.Requests(), rep.Acknowledged)
		}
		for _, op := range rep.Ops {
			if op.Requests == 0 {
				t.Errorf("no %s was sent", op.Kind)
			}
		}
		if rep.Errors() > 0 || len(rep.Missing) > 0 {
			t.Errorf("%d errors, %d acknowledged writes missing: %v", rep.Errors(), len(rep.Missing), rep.Missing)
		}
	})
}
