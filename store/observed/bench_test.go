package observed_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/observed"
	"github.com/ripple-cmdb/ripple/telemetry/metrics"
	"github.com/ripple-cmdb/ripple/telemetry/tracing"
)

// BenchmarkGetCI prices observing a call: GetCI on the embedded store
// (the cheapest real call there is) bare, with the metrics, and with the
// metrics and a sampled trace span.
//
//	go test ./store/observed -run '^$' -bench GetCI
func BenchmarkGetCI(b *testing.B) {
	st, err := embedded.Open(context.Background(), b.TempDir(), graph.DefaultCatalogue())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close(context.Background()) })
	res, err := st.UpsertCI(context.Background(), graph.CIInput{Name: new("web-1"), Class: new("VirtualMachine")})
	if err != nil {
		b.Fatal(err)
	}
	m := metrics.New("bench")
	tp := sdktrace.NewTracerProvider() // sampled, exported nowhere
	for _, c := range []struct {
		name string
		st   graph.Store
	}{
		{"bare", st},
		{"metrics", observed.Wrap(st, "embedded", m)},
		{"metrics+tracing", observed.Wrap(st, "embedded", observed.Observers{m, tracing.FromProvider(tp)})},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := c.st.GetCI(ctx, res.CI.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
