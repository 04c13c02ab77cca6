// Command scale measures blast radius on a realistic generated estate
// (bench/estate) on both stores, side by side in one run: every contender
// is timed in turn for every seed, round after round, so a noisy shared
// machine slows them alike and the ratios stay meaningful.
//
//	go run ./bench/scale -ci 100000 -store both -neo4j bolt://127.0.0.1:7687
//
// The Neo4j database is WIPED and loaded with the estate, unless it
// already holds exactly that estate (same -ci and -seed), which is kept.
//
// Contenders, per seed (a pod, a rack, a volume, a data centre):
//
//	neo4j graphql   blastRadius over HTTP, Neo4j store: every impacted CI
//	neo4j graphql page
//	                the same, impactedConnection: totals and a first page
//	                of 100, so the per-returned-object cost shows
//	neo4j store     Store.Neighbourhood on Neo4j
//	neo4j cypher    the best single Cypher statement, same driver (the floor)
//	embedded graphql, embedded graphql page, embedded store
//	bare bfs        a Go BFS over the estate's adjacency in memory (the floor)
//
// Then the overhead floor (a trivial GraphQL query against Bolt RETURN 1)
// and throughput at 1, 8 and 32 concurrent GraphQL clients.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
)

type config struct {
	ci      int
	seed    int64
	store   string // embedded, neo4j or both
	uri     string
	runs    int
	depth   int
	batch   int
	clients []int
	window  time.Duration
	// only keeps the contenders whose names contain it (empty: all);
	// cpuprofile profiles the timed blast-radius rounds into that file.
	only       string
	cpuprofile string
}

func main() {
	var cfg config
	var clients string
	flag.IntVar(&cfg.ci, "ci", 20000, "number of CIs in the estate")
	flag.Int64Var(&cfg.seed, "seed", 1, "generator seed")
	flag.StringVar(&cfg.store, "store", "both", "embedded, neo4j or both")
	flag.StringVar(&cfg.uri, "neo4j", envOr("RIPPLE_TEST_NEO4J_URI", "bolt://127.0.0.1:7687"), "Neo4j Bolt URI (its database is WIPED unless it holds the estate)")
	flag.IntVar(&cfg.runs, "runs", 15, "timed rounds per contender and seed")
	flag.IntVar(&cfg.depth, "depth", 6, "blast radius depth")
	flag.IntVar(&cfg.batch, "batch", 5000, "CIs or relations per Store.Apply when loading")
	flag.StringVar(&clients, "clients", "1,8,32", "concurrent clients for the throughput test (empty: skip)")
	flag.DurationVar(&cfg.window, "window", 3*time.Second, "duration of each throughput measurement")
	flag.StringVar(&cfg.only, "only", "", "time only the contenders whose names contain this (e.g. \"embedded\"); bare bfs is always kept")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the timed blast-radius rounds to this file")
	flag.Parse()
	for _, c := range strings.Split(clients, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && n > 0 {
			cfg.clients = append(cfg.clients, n)
		}
	}
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// bench is a loaded run: the estate, the stores and the contenders.
type bench struct {
	cfg        config
	est        *estate.Estate
	adj        adjacency
	emb, neo   *side
	driver     neo4j.DriverWithContext
	floor      string
	contenders []contender
}

// contender answers one blast radius and returns the names it found
// (impacted CIs for GraphQL, reached CIs for traversals).
type contender struct {
	name string
	run  func(ctx context.Context, role estate.Role) ([]string, error)
}

func setup(ctx context.Context, cfg config) (*bench, error) {
	cat := graph.DefaultCatalogue()
	b := &bench{cfg: cfg, est: estate.Generate(cfg.ci, cfg.seed)}
	b.adj = newAdjacency(cat, b.est)
	fmt.Printf("estate: %d CIs, %d relations (seed %d); depth %d\n", len(b.est.CIs), len(b.est.Rels), cfg.seed, cfg.depth)
	var err error
	if cfg.store == "both" || cfg.store == "neo4j" {
		if b.neo, b.driver, err = openNeo4j(ctx, cfg.uri, b.est, cfg.batch); err != nil {
			return nil, fmt.Errorf("neo4j: %w", err)
		}
		b.floor = floorCypher(cat, cfg.depth)
		b.contenders = append(b.contenders,
			contender{"neo4j graphql", func(ctx context.Context, r estate.Role) ([]string, error) {
				return graphQLBlast(ctx, b.neo, b.neo.loaded.SeedID(r), cfg.depth)
			}},
			contender{"neo4j graphql page", func(ctx context.Context, r estate.Role) ([]string, error) {
				return graphQLBlastPage(ctx, b.neo, b.neo.loaded.SeedID(r), cfg.depth)
			}},
			contender{"neo4j store", func(ctx context.Context, r estate.Role) ([]string, error) {
				return storeReach(ctx, b.neo, b.neo.loaded.SeedID(r), cfg.depth)
			}},
			contender{"neo4j cypher", func(ctx context.Context, r estate.Role) ([]string, error) {
				return cypherReach(ctx, b.driver, b.floor, b.neo, b.neo.loaded.SeedID(r))
			}})
	}
	if cfg.store == "both" || cfg.store == "embedded" {
		if b.emb, err = openEmbedded(ctx, b.est, cfg.batch); err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
		b.contenders = append(b.contenders,
			contender{"embedded graphql", func(ctx context.Context, r estate.Role) ([]string, error) {
				return graphQLBlast(ctx, b.emb, b.emb.loaded.SeedID(r), cfg.depth)
			}},
			contender{"embedded graphql page", func(ctx context.Context, r estate.Role) ([]string, error) {
				return graphQLBlastPage(ctx, b.emb, b.emb.loaded.SeedID(r), cfg.depth)
			}},
			contender{"embedded store", func(ctx context.Context, r estate.Role) ([]string, error) {
				return storeReach(ctx, b.emb, b.emb.loaded.SeedID(r), cfg.depth)
			}})
	}
	b.contenders = append(b.contenders, contender{"bare bfs", func(_ context.Context, r estate.Role) ([]string, error) {
		return bfsNames(b.est, b.adj.bfs(int32(b.est.Seeds[r]), cfg.depth)), nil
	}})
	if cfg.only != "" {
		b.contenders = slices.DeleteFunc(b.contenders, func(c contender) bool {
			return c.name != "bare bfs" && !strings.Contains(c.name, cfg.only)
		})
	}
	return b, nil
}

func (b *bench) close() {
	for _, s := range []*side{b.emb, b.neo} {
		if s != nil {
			s.close()
		}
	}
	if b.driver != nil {
		_ = b.driver.Close(context.Background())
	}
}

// check runs every contender once per seed and fails unless they agree:
// every traversal (store calls, Cypher, bare BFS) reaches the same CIs,
// every GraphQL blast radius impacts the same CIs, and every connection's
// first page is the first pageSize of them with their total. It returns
// the sizes.
func (b *bench) check(ctx context.Context) (reached, impacted map[estate.Role]int, err error) {
	reached, impacted = map[estate.Role]int{}, map[estate.Role]int{}
	for _, role := range estate.Roles {
		var want, wantImpacted, wantPage []string
		var wantFrom, wantImpactedFrom, wantPageFrom string
		for _, c := range b.contenders {
			got, err := c.run(ctx, role)
			if err != nil {
				return nil, nil, fmt.Errorf("%s, %s: %w", c.name, role, err)
			}
			ref, from := &want, &wantFrom
			switch {
			case strings.HasSuffix(c.name, "graphql"):
				// The first page is the first names in the list's order.
				page := slices.Clone(got[:min(pageSize, len(got))])
				sort.Strings(page)
				page = append([]string{totalEntry(len(got))}, page...)
				if wantPageFrom == "" {
					wantPage, wantPageFrom = page, c.name+" (its first page)"
				} else if !slices.Equal(wantPage, page) {
					return nil, nil, fmt.Errorf("seed %s: first pages of %s and %s differ (first difference: %s)",
						role, wantPageFrom, c.name, firstDiff(wantPage, page))
				}
				got = slices.Sorted(slices.Values(got))
				ref, from = &wantImpacted, &wantImpactedFrom
			case strings.HasSuffix(c.name, "graphql page"):
				ref, from = &wantPage, &wantPageFrom
			}
			if *from == "" {
				*ref, *from = got, c.name
				continue
			}
			if !slices.Equal(*ref, got) {
				return nil, nil, fmt.Errorf("seed %s: %s found %d CIs, %s %d (first difference: %s)",
					role, *from, len(*ref), c.name, len(got), firstDiff(*ref, got))
			}
		}
		if len(want) < 2 {
			return nil, nil, fmt.Errorf("seed %s reaches nothing", role)
		}
		reached[role], impacted[role] = len(want), len(wantImpacted)
	}
	return reached, impacted, nil
}

func firstDiff(a, b []string) string {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return a[i] + " / " + b[i]
		}
	}
	return "one is a prefix of the other"
}

func run(ctx context.Context, cfg config) error {
	if *analysesFlag {
		return runAnalyses(ctx, cfg)
	}
	b, err := setup(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	reached, impacted, err := b.check(ctx)
	if err != nil {
		return err
	}
	fmt.Println("every contender agrees on every seed")

	// Timed rounds, interleaved: round, seed, contender.
	// Wall time and the process's CPU time per call: on a shared machine
	// the wall time mostly measures the other tenants, the CPU time what
	// the call costs (its GC included; the contenders run one at a time).
	times := map[string]map[estate.Role][]time.Duration{}
	cpu := map[string]map[estate.Role][]time.Duration{}
	for _, c := range b.contenders {
		times[c.name] = map[estate.Role][]time.Duration{}
		cpu[c.name] = map[estate.Role][]time.Duration{}
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for r := 0; r < cfg.runs; r++ {
		for _, role := range estate.Roles {
			for _, c := range b.contenders {
				// Each call starts from a collected heap, so that it pays
				// for collecting its own garbage, not the last one's.
				runtime.GC()
				t0, c0 := time.Now(), cpuTime()
				if _, err := c.run(ctx, role); err != nil {
					return fmt.Errorf("%s, %s: %w", c.name, role, err)
				}
				times[c.name][role] = append(times[c.name][role], time.Since(t0))
				cpu[c.name][role] = append(cpu[c.name][role], cpuTime()-c0)
			}
		}
	}
	if cfg.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("\nBlast radius, depth %d, %d rounds: p50 / p95 in ms\n\n", cfg.depth, cfg.runs)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprint(w, "seed (reached / impacted)\t")
	for _, c := range b.contenders {
		fmt.Fprintf(w, "%s\t", c.name)
	}
	fmt.Fprintln(w)
	for _, role := range estate.Roles {
		fmt.Fprintf(w, "%s (%d / %d)\t", role, reached[role], impacted[role])
		for _, c := range b.contenders {
			d := times[c.name][role]
			fmt.Fprintf(w, "%s / %s\t", ms(pct(d, 50)), ms(pct(d, 95)))
		}
		fmt.Fprintln(w)
	}
	_ = w.Flush()

	fmt.Printf("\nCPU time of the process per call, p50 in ms\n\n")
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprint(w, "seed\t")
	for _, c := range b.contenders {
		fmt.Fprintf(w, "%s\t", c.name)
	}
	fmt.Fprintln(w)
	for _, role := range estate.Roles {
		fmt.Fprintf(w, "%s\t", role)
		for _, c := range b.contenders {
			fmt.Fprintf(w, "%s\t", ms(pct(cpu[c.name][role], 50)))
		}
		fmt.Fprintln(w)
	}
	_ = w.Flush()

	ratios := []struct{ label, num, den string }{
		{"neo4j graphql / cypher", "neo4j graphql", "neo4j cypher"},
		{"neo4j page / cypher", "neo4j graphql page", "neo4j cypher"},
		{"neo4j store / cypher", "neo4j store", "neo4j cypher"},
		{"embedded store / bare bfs", "embedded store", "bare bfs"},
		{"embedded graphql / bare bfs", "embedded graphql", "bare bfs"},
		{"embedded page / bare bfs", "embedded graphql page", "bare bfs"},
	}
	for _, m := range []struct {
		title string
		d     map[string]map[estate.Role][]time.Duration
	}{{"Ratios of p50 wall time", times}, {"Ratios of p50 CPU time", cpu}} {
		fmt.Printf("\n%s\n\n", m.title)
		w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
		fmt.Fprint(w, "seed\t")
		for _, r := range ratios {
			if m.d[r.num] != nil && m.d[r.den] != nil {
				fmt.Fprintf(w, "%s\t", r.label)
			}
		}
		fmt.Fprintln(w)
		for _, role := range estate.Roles {
			fmt.Fprintf(w, "%s\t", role)
			for _, r := range ratios {
				if m.d[r.num] != nil && m.d[r.den] != nil {
					fmt.Fprintf(w, "%.1f×\t", float64(pct(m.d[r.num][role], 50))/float64(max(pct(m.d[r.den][role], 50), time.Microsecond)))
				}
			}
			fmt.Fprintln(w)
		}
		_ = w.Flush()
	}

	if err := b.overhead(ctx); err != nil {
		return err
	}
	return b.throughput(ctx)
}

// overhead times the cheapest call on each path: a trivial GraphQL query
// and Bolt's RETURN 1, interleaved.
func (b *bench) overhead(ctx context.Context) error {
	calls := []contender{}
	for _, s := range []*side{b.neo, b.emb} {
		if s != nil {
			url := s.srv.URL
			calls = append(calls, contender{s.name + " graphql {__typename}", func(ctx context.Context, _ estate.Role) ([]string, error) {
				return nil, graphQL(ctx, url, "{ __typename }", nil, nil)
			}})
		}
	}
	if b.driver != nil {
		calls = append(calls, contender{"bolt RETURN 1", func(ctx context.Context, _ estate.Role) ([]string, error) {
			return nil, bolt1(ctx, b.driver)
		}})
	}
	times := make([][]time.Duration, len(calls))
	for r := 0; r < 20*b.cfg.runs; r++ {
		for i, c := range calls {
			t0 := time.Now()
			if _, err := c.run(ctx, ""); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			times[i] = append(times[i], time.Since(t0))
		}
	}
	fmt.Printf("\nOverhead floor: p50 / p95 in ms\n\n")
	for i, c := range calls {
		fmt.Printf("  %-32s %s / %s\n", c.name, ms(pct(times[i], 50)), ms(pct(times[i], 95)))
	}
	return nil
}

// throughput runs the GraphQL blast radius of the rack with n concurrent
// clients for a fixed window, per store.
func (b *bench) throughput(ctx context.Context) error {
	if len(b.cfg.clients) == 0 {
		return nil
	}
	fmt.Printf("\nThroughput: GraphQL blast radius of the rack, %v per measurement\n\n", b.cfg.window)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "store\tclients\trequests/s\tp50 ms\tp95 ms\tfailed\t")
	var errs failures
	for _, s := range []*side{b.neo, b.emb} {
		if s == nil {
			continue
		}
		for _, n := range b.cfg.clients {
			r := runClients(ctx, n, b.cfg.window, func(ctx context.Context, _ int) error {
				_, err := graphQLBlast(ctx, s, s.loaded.SeedID(estate.RoleRack), b.cfg.depth)
				return err
			})
			p50, p95 := r.p50p95()
			fmt.Fprintf(w, "%s\t%d\t%.1f\t%s\t%s\t%d\t\n", s.name, n, r.perSecond, p50, p95, r.failed)
			errs.add(fmt.Sprintf("%s, %d clients", s.name, n), r)
		}
	}
	return errs.flush(w)
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
