package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/embedded"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// The dense graph of the core issue: 2,000 CIs and 20,000 relations.
var dense = DenseGraph{CIs: 2000, Relations: 20000, Seed: 42}

type contenders struct {
	embedded *embedded.Store
	neo4j    *rneo4j.Store
	driver   neo4j.DriverWithContext
	// The CI whose blast radius is measured, by its id in each store (each
	// store makes its own ids) and by name.
	embSeed, neoSeed string
	seedName         string
	dir              string
}

var (
	setupOnce sync.Once
	env       *contenders
	setupErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		ctx := context.Background()
		_ = env.embedded.Close(ctx)
		_ = env.neo4j.Close(ctx)
		_ = env.driver.Close(ctx)
		_ = os.RemoveAll(env.dir)
	}
	os.Exit(code)
}

// setup loads the same dense graph into a fresh embedded store and into the
// Neo4j at RIPPLE_TEST_NEO4J_URI, which it WIPES first.
func setup(b *testing.B) *contenders {
	uri := neo4jtest.Require(b)
	neo4jtest.Exclusive(b, uri)
	setupOnce.Do(func() {
		ctx := context.Background()
		c := &contenders{}
		if c.dir, setupErr = os.MkdirTemp("", "ripple-bench-"); setupErr != nil {
			return
		}
		cat := graph.DefaultCatalogue()
		if c.embedded, setupErr = embedded.Open(ctx, c.dir, cat); setupErr != nil {
			return
		}
		if c.neo4j, setupErr = rneo4j.Open(ctx, rneo4j.Config{URI: uri}, cat, zerolog.Nop()); setupErr != nil {
			return
		}
		if c.driver, setupErr = neo4j.NewDriverWithContext(uri, neo4j.NoAuth()); setupErr != nil {
			return
		}
		neo4jtest.Wipe(b, uri)
		for _, s := range []graph.Store{c.embedded, c.neo4j} {
			for _, batch := range dense.Batches(2000) {
				if _, setupErr = s.Apply(ctx, batch); setupErr != nil {
					return
				}
			}
		}
		// Measure from the CI with the largest blast radius among a sample,
		// the case a change manager worries about.
		page, err := c.embedded.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 200})
		if err != nil {
			setupErr = err
			return
		}
		best := -1
		for _, ci := range page.CIs {
			br, err := impact.ComputeBlastRadius(ctx, c.embedded, []string{ci.ID}, 6, nil)
			if err != nil {
				setupErr = err
				return
			}
			if len(br.Impacted) > best {
				best, c.embSeed, c.seedName = len(br.Impacted), ci.ID, ci.Name
			}
		}
		p, err := c.neo4j.ListCIs(ctx, graph.CIFilter{Identifier: c.seedName}, graph.Page{First: 1})
		if err != nil || len(p.CIs) != 1 {
			setupErr = fmt.Errorf("find %s in neo4j: %v", c.seedName, err)
			return
		}
		c.neoSeed = p.CIs[0].ID
		env = c
	})
	if setupErr != nil {
		b.Fatalf("setup: %v", setupErr)
	}
	return env
}

// rawCypher is the baseline: the plain pruning var-length expansion a Neo4j
// user would write by hand (DEPENDS_ON/RUNS_ON/HOSTED_ON only, no
// containment or redundancy semantics), returning distinct ids.
func rawCypher(ctx context.Context, d neo4j.DriverWithContext, id string) (int, error) {
	res, err := neo4j.ExecuteQuery(ctx, d,
		"MATCH (s:CI {id: $id})<-[:DEPENDS_ON|RUNS_ON|HOSTED_ON*1..6]-(x:CI) RETURN DISTINCT x.id AS id",
		map[string]any{"id": id}, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase("neo4j"), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return 0, err
	}
	return len(res.Records), nil
}

// BenchmarkBlastRadiusDense measures a 6-hop blast radius on the dense graph
// on both stores and the raw-Cypher baseline, interleaved, and reports each
// contender's median and the ratios between them.
func BenchmarkBlastRadiusDense(b *testing.B) {
	c := setup(b)
	ctx := context.Background()
	var embT, neoT, rawT []time.Duration
	var embN, neoN, rawN int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		br, err := impact.ComputeBlastRadius(ctx, c.embedded, []string{c.embSeed}, 6, nil)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		br2, err := impact.ComputeBlastRadius(ctx, c.neo4j, []string{c.neoSeed}, 6, nil)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		n, err := rawCypher(ctx, c.driver, c.neoSeed)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		embT, neoT, rawT = append(embT, t1.Sub(t0)), append(neoT, t2.Sub(t1)), append(rawT, t3.Sub(t2))
		embN, neoN, rawN = len(br.Impacted), len(br2.Impacted), n
	}
	b.StopTimer()
	if embN != neoN {
		b.Fatalf("stores disagree: embedded found %d impacted, neo4j %d", embN, neoN)
	}
	e, n, r := median(embT), median(neoT), median(rawT)
	b.ReportMetric(ms(e), "embedded-ms")
	b.ReportMetric(ms(n), "neo4j-ms")
	b.ReportMetric(ms(r), "rawcypher-ms")
	b.ReportMetric(float64(n)/float64(r), "neo4j/raw")
	b.ReportMetric(float64(n)/float64(e), "neo4j/embedded")
	b.Logf("dense graph %d CIs / %d relations, seed %s: %d impacted (raw Cypher reaches %d); median embedded %.2f ms, neo4j %.2f ms, raw Cypher %.2f ms over %d runs",
		dense.CIs, dense.Relations, c.seedName, embN, rawN, ms(e), ms(n), ms(r), len(embT))
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
