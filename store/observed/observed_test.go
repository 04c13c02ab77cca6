package observed_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/store/eachstore"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/observed"
)

// The import engine finds the store's batch size through the wrapper.
var _ importers.BatchSizer = (*observed.Store)(nil)

// recorder keeps the calls it is told of.
type recorder struct {
	mu    sync.Mutex
	calls []string
	errs  map[string]error
}

type ctxKey struct{}

func (r *recorder) StoreCall(ctx context.Context, store, method string) (context.Context, func(error)) {
	return context.WithValue(ctx, ctxKey{}, method), func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls = append(r.calls, store+"."+method)
		if r.errs == nil {
			r.errs = map[string]error{}
		}
		r.errs[method] = err
	}
}

// TestEveryMethodObserved calls every method of the graph.Store contract
// through the wrapper (with zero arguments: what the store answers does
// not matter) and checks each was reported under its own name, Catalogue
// aside (no I/O). With the compile-time assertion in observed.go, a method
// added to the contract cannot go unobserved.
func TestEveryMethodObserved(t *testing.T) {
	st, err := embedded.Open(context.Background(), t.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	obs := observed.Wrap(st, "embedded", rec)
	contract := reflect.TypeFor[graph.Store]()
	var want []string
	var closeM reflect.Method
	for i := range contract.NumMethod() {
		m := contract.Method(i)
		if m.Name == "Catalogue" {
			continue
		}
		if m.Name == "Close" {
			closeM = m // last: every other call needs the store open
			continue
		}
		callZero(t, obs, m)
		want = append(want, "embedded."+m.Name)
	}
	callZero(t, obs, closeM)
	want = append(want, "embedded.Close")
	if len(want) < 20 || !reflect.DeepEqual(rec.calls, want) {
		t.Errorf("observed calls:\n got %v\nwant %v", rec.calls, want)
	}
	if obs.Catalogue() != st.Catalogue() {
		t.Error("Catalogue is not the store's")
	}
}

func callZero(t *testing.T, s *observed.Store, m reflect.Method) {
	t.Helper()
	fn := reflect.ValueOf(s).MethodByName(m.Name)
	args := make([]reflect.Value, fn.Type().NumIn())
	for i := range args {
		args[i] = reflect.Zero(fn.Type().In(i))
	}
	args[0] = reflect.ValueOf(context.Background())
	fn.Call(args)
}

// TestObservedCalls: on both stores, a call runs with the observer's
// context and its error reaches the observer unchanged; the batch size is
// the wrapped store's.
func TestObservedCalls(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, st graph.Store) {
		rec := &recorder{}
		obs := observed.Wrap(st, "s", observed.Observers{rec, rec})
		_, err := obs.GetCI(context.Background(), graph.NewID())
		if graph.ErrorCode(err) != graph.CodeNotFound {
			t.Fatalf("GetCI of a missing CI: %v", err)
		}
		if len(rec.calls) != 2 || !errors.Is(rec.errs["GetCI"], err) {
			t.Errorf("calls %v, error seen %v", rec.calls, rec.errs["GetCI"])
		}
		ci, err := obs.UpsertCI(context.Background(), graph.CIInput{Name: new("web-1"), Class: new("VirtualMachine")})
		if err != nil || ci.CI.ID == "" || rec.errs["UpsertCI"] != nil {
			t.Fatalf("UpsertCI: %v, %v", err, rec.errs["UpsertCI"])
		}
		if got, err := obs.GetCI(context.Background(), ci.CI.ID); err != nil || got.Name != "web-1" {
			t.Errorf("GetCI through the wrapper: %+v %v", got, err)
		}
		want := st.(importers.BatchSizer).PreferredBatchSize()
		if got := obs.PreferredBatchSize(); got != want || obs.Unwrap() != st {
			t.Errorf("batch size %d, want %d", got, want)
		}
	})
}
