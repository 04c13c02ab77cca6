package metrics

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ripple-cmdb/ripple/graph"
)

// TestStoreCallErrors: failed store calls are counted by their domain
// code (INTERNAL for an error without one); every call is timed.
func TestStoreCallErrors(t *testing.T) {
	m := New("test")
	for _, err := range []error{
		nil,
		fmt.Errorf("load ci: %w", graph.NotFound("id", "ci", "x")),
		graph.Unavailable(errors.New("dial"), "neo4j is down"),
		errors.New("a bug"),
	} {
		_, done := m.StoreCall(context.Background(), "neo4j", "GetCI")
		done(err)
	}
	for _, c := range []struct {
		code string
		want float64
	}{{"NOT_FOUND", 1}, {"UNAVAILABLE", 1}, {"INTERNAL", 1}} {
		if got := testutil.ToFloat64(m.storeErrors.WithLabelValues("neo4j", "GetCI", c.code)); got != c.want {
			t.Errorf("%s errors: %v, want %v", c.code, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.storeDuration); n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
}

// TestOperationLabel: names clients choose are bounded.
func TestOperationLabel(t *testing.T) {
	m := New("test")
	for _, c := range []struct{ in, want string }{
		{"", AnonymousOperation},
		{"ListCIs", "ListCIs"},
		{"not a name", OtherOperation},
		{"x" + string(make([]byte, 100)), OtherOperation},
	} {
		if got := m.operationLabel(c.in); got != c.want {
			t.Errorf("operationLabel(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for i := range MaxOperationNames + 5 {
		m.operationLabel(fmt.Sprintf("Op%d", i))
	}
	if got := m.operationLabel("ListCIs"); got != "ListCIs" {
		t.Errorf("a name seen before the cap: %q", got)
	}
	if got := m.operationLabel("NewAfterCap"); got != OtherOperation {
		t.Errorf("a new name past the cap: %q", got)
	}
}
