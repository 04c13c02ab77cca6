package embedded

import (
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store {
		s := newStore(t)
		t.Cleanup(func() {
			if err := checkConsistency(s); err != nil {
				t.Errorf("indexes inconsistent after the case: %v", err)
			}
		})
		return s
	})
}
