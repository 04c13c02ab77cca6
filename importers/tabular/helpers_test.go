package tabular

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// recorder is an Emitter that keeps everything it is given.
type recorder struct {
	scopes []string
	items  []feed.Item
	links  []feed.Link
	// failAfter, when > 0, makes the Nth Item call fail.
	failAfter int
}

var errEmit = errors.New("emitter refused")

func (r *recorder) Scope(s string) error { r.scopes = append(r.scopes, s); return nil }

func (r *recorder) Item(it feed.Item) error {
	r.items = append(r.items, it)
	if r.failAfter > 0 && len(r.items) == r.failAfter {
		return errEmit
	}
	return nil
}

func (r *recorder) Link(l feed.Link) error { r.links = append(r.links, l); return nil }

// item returns the recorded item with the given first identifier value.
func (r *recorder) item(t *testing.T, key string) feed.Item {
	t.Helper()
	for _, it := range r.items {
		if len(it.Identifiers) > 0 && it.Identifiers[0].Value == key {
			return it
		}
	}
	t.Fatalf("no item with key %q", key)
	return feed.Item{}
}

// linkLines renders links one per line, "kind=value -TYPE-> kind=value @at",
// in emission order.
func (r *recorder) linkLines() []string {
	out := make([]string, len(r.links))
	for i, l := range r.links {
		out[i] = fmt.Sprintf("%s=%s -%s-> %s=%s @%s", l.From.Kind, l.From.Value, l.Type, l.To.Kind, l.To.Value, l.At)
	}
	return out
}

// dump renders everything recorded, for determinism checks: fmt prints
// maps with sorted keys.
func (r *recorder) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scopes %q\n", r.scopes)
	for _, it := range r.items {
		fmt.Fprintf(&b, "%+v\n", it)
	}
	for _, l := range r.linkLines() {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func loadMapping(t testing.TB, name string) Mapping {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := LoadMapping(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func parseFile(t *testing.T, p feed.Parser, name string) (*recorder, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := &recorder{}
	return rec, p.Parse(context.Background(), name, f, rec)
}

func parseString(p feed.Parser, input string) (*recorder, error) {
	rec := &recorder{}
	return rec, p.Parse(context.Background(), "input", strings.NewReader(input), rec)
}

// wantInputError checks err is an *feed.InputError with the given At
// and Field and a message containing every one of msgs.
func wantInputError(t *testing.T, err error, at, field string, msgs ...string) {
	t.Helper()
	var ie *feed.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want *feed.InputError", err, err)
	}
	if ie.At != at || ie.Field != field {
		t.Errorf("error at %q field %q, want at %q field %q (%v)", ie.At, ie.Field, at, field, err)
	}
	for _, m := range msgs {
		if !strings.Contains(ie.Message, m) {
			t.Errorf("message %q does not contain %q", ie.Message, m)
		}
	}
}
