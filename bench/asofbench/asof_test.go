// Package asofbench measures the cost of the graph as it was: as-of blast
// radii on the benchmark estate (bench/estate) after a long history of
// daily import churn, side by side with the blast radius of the same CI
// now, on the same store.
//
//	go test ./bench/asofbench -run '^$' -bench AsOf -benchtime 1x -timeout 2h -v
//
// RIPPLE_BENCH_ASOF_CIS (default 10,000) sets the estate's size and
// RIPPLE_BENCH_ASOF_DAYS (default 365) the days of history: each day is
// one import run that updates 1% of the CIs (RIPPLE_BENCH_ASOF_CHURN, in
// percent), reschedules as many pods as that onto other nodes and migrates
// a fifth as many VMs to other hypervisors. RIPPLE_BENCH_ASOF_NEO4J=1 runs
// the Neo4j store too (at RIPPLE_TEST_NEO4J_URI, which it WIPES), with
// RIPPLE_BENCH_ASOF_NEO4J_CIS and _DAYS if it should run smaller.
// RIPPLE_BENCH_ASOF_RUNS (default 15) is the runs each median is of.
// RIPPLE_BENCH_ASOF_KEEP=<dir> keeps what a run builds (the embedded
// store's file, and the ids and instants of either store's history) in dir
// and reuses it on a later run asking for the same size; Neo4j's database
// is reused only if it still holds that estate, so iterating on the read
// path does not rebuild a year of history each time.
// RIPPLE_BENCH_ASOF_PROFILE=<file> writes a CPU profile of the timed
// questions (not of the build).
package asofbench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/asof"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// history is the estate in a store plus its days of churn: instants[d] is
// the instant just before day d's import (instants[0]: the estate as
// loaded).
type history struct {
	*estate.Loaded
	rng      *rand.Rand
	churn    int // CI updates and pods rescheduled per day
	pods     []move
	vms      []move
	instants []time.Time
	entries  int // graph audit entries the churn wrote
}

// move is a relation a daily import may repoint: From's relation of Type
// to To, and the CIs it may point at instead.
type move struct {
	from, to int
	typ      string
	targets  []int
}

func build(ctx context.Context, s graph.Store, cis, days, pct int) (*history, error) {
	est := estate.Generate(cis, 42)
	l, err := est.Load(ctx, s, 5000)
	if err != nil {
		return nil, err
	}
	h := &history{Loaded: l, rng: rand.New(rand.NewPCG(42, 14)), churn: max(len(est.CIs)*pct/100, 1)}
	byClass := map[string][]int{}
	for i, c := range est.CIs {
		byClass[c.Class] = append(byClass[c.Class], i)
	}
	for _, r := range est.Rels {
		if r.Type != graph.RelRunsOn {
			continue
		}
		switch est.CIs[r.From].Class {
		case graph.ClassPod:
			h.pods = append(h.pods, move{from: r.From, to: r.To, typ: r.Type, targets: byClass[graph.ClassKubernetesNode]})
		case graph.ClassVirtualMachine:
			h.vms = append(h.vms, move{from: r.From, to: r.To, typ: r.Type, targets: byClass[graph.ClassHypervisor]})
		}
	}
	for d := range days {
		time.Sleep(2 * time.Millisecond)
		h.instants = append(h.instants, graph.Now())
		time.Sleep(2 * time.Millisecond)
		if err := h.day(ctx, s, d); err != nil {
			return nil, fmt.Errorf("day %d: %w", d, err)
		}
	}
	return h, nil
}

// day applies one day's import: attribute updates on random CIs, pods
// rescheduled onto other nodes and VMs migrated to other hypervisors (each
// at most once a day).
func (h *history) day(ctx context.Context, s graph.Store, d int) error {
	var b graph.Batch
	for range h.churn {
		id := h.IDs[h.rng.IntN(len(h.IDs))]
		b.Upserts = append(b.Upserts, graph.CIInput{ID: id, Attributes: map[string]any{"lastImport": d}})
	}
	repoint := func(pool []move, n int) {
		moved := map[int]bool{}
		for range min(n, len(pool)) {
			k := h.rng.IntN(len(pool))
			m := &pool[k]
			next := m.targets[h.rng.IntN(len(m.targets))]
			if moved[k] || next == m.to || next == m.from {
				continue
			}
			moved[k] = true
			b.Unrelate = append(b.Unrelate, graph.BatchRelation{From: graph.CIRef{ID: h.IDs[m.from]}, Type: m.typ, To: graph.CIRef{ID: h.IDs[m.to]}})
			b.Relate = append(b.Relate, graph.BatchRelation{From: graph.CIRef{ID: h.IDs[m.from]}, Type: m.typ, To: graph.CIRef{ID: h.IDs[next]}})
			m.to = next
		}
	}
	repoint(h.pods, h.churn)
	repoint(h.vms, h.churn/5)
	h.entries += len(b.Upserts) + len(b.Unrelate) + len(b.Relate)
	_, err := s.Apply(graph.WithImportRun(ctx, "bench", fmt.Sprintf("day-%d", d)), b)
	return err
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkAsOfBlastRadius builds the estate and its history, then times
// the blast radius of a rack and of a shared datastore now and as of one
// day, 30 days and the whole history ago, interleaved, and prints the
// medians and the ratios to the current one; then as-of listings and a
// day's diff.
func BenchmarkAsOfBlastRadius(b *testing.B) {
	stores := []string{"embedded"}
	if os.Getenv("RIPPLE_BENCH_ASOF_NEO4J") == "1" {
		stores = append(stores, "neo4j")
	}
	for _, kind := range stores {
		b.Run(kind, func(b *testing.B) { run(b, kind) })
	}
}

// open opens an empty store of the kind, or with keep (a kept history's
// directory) the store it was built in: its embedded file, or the Neo4j
// database as it is (the caller checks it still holds the history).
func open(b *testing.B, kind, keep string, reuse bool) graph.Store {
	ctx := context.Background()
	var s graph.Store
	var err error
	if kind == "embedded" {
		dir := keep
		if dir == "" {
			dir = b.TempDir()
		} else if !reuse {
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
		}
		s, err = embedded.Open(ctx, dir, graph.DefaultCatalogue())
	} else {
		uri := neo4jtest.Require(b)
		neo4jtest.Exclusive(b, uri)
		if !reuse {
			neo4jtest.Wipe(b, uri)
		}
		s, err = neo4j.Open(ctx, neo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func run(b *testing.B, kind string) {
	ctx := context.Background()
	cis, days := envInt("RIPPLE_BENCH_ASOF_CIS", 10000), envInt("RIPPLE_BENCH_ASOF_DAYS", 365)
	if kind == "neo4j" {
		cis, days = envInt("RIPPLE_BENCH_ASOF_NEO4J_CIS", cis), envInt("RIPPLE_BENCH_ASOF_NEO4J_DAYS", days)
	}
	pct := envInt("RIPPLE_BENCH_ASOF_CHURN", 1)
	keep, state := os.Getenv("RIPPLE_BENCH_ASOF_KEEP"), ""
	var kept *keptHistory
	if keep != "" {
		state = filepath.Join(keep, kind+".json")
		keep = filepath.Join(keep, kind)
		kept = readKept(state, cis, days, pct)
	}
	s := &counted{Store: open(b, kind, keep, kept != nil)}
	t0 := time.Now()
	var h *history
	if kept != nil {
		h = kept.history(ctx, s)
		if h == nil {
			fmt.Printf("%s: the kept history is no longer in the store: building it again\n", kind)
			_ = s.Close(ctx)
			s = &counted{Store: open(b, kind, keep, false)}
		}
	}
	if h == nil {
		var err error
		if h, err = build(ctx, s, cis, days, pct); err != nil {
			b.Fatal(err)
		}
		if state != "" {
			if err := writeKept(state, h, cis, days, pct); err != nil {
				b.Fatal(err)
			}
		}
	}
	if p := os.Getenv("RIPPLE_BENCH_ASOF_PROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	fmt.Printf("\n%s: %d CIs, %d relations, %d days of imports (%d CI updates and up to %d relations repointed a day; %d graph writes), built in %s\n",
		kind, len(h.CIs), len(h.Rels), days, h.churn, h.churn+h.churn/5, h.entries, time.Since(t0).Round(time.Second))
	type contender struct {
		label string
		at    time.Time // zero: now
		times []time.Duration
		size  int
	}
	ago := func(n int) time.Time { return h.instants[max(days-n, 0)] }
	fmt.Printf("| seed | blast radius | impacted | median | vs now |\n|---|---|---|---|---|\n")
	for _, role := range []estate.Role{estate.RoleRack, estate.RoleVolume} {
		seed := h.SeedID(role)
		cs := []*contender{{label: "now"}, {label: "as of 1 day ago", at: ago(1)},
			{label: "as of 30 days ago", at: ago(30)}, {label: fmt.Sprintf("as of %d days ago", days), at: ago(days)}}
		for range max(b.N, 1) * envInt("RIPPLE_BENCH_ASOF_RUNS", 15) {
			for _, c := range cs {
				var tr graph.Traverser = s
				if !c.at.IsZero() {
					tr = asof.At(s, c.at)
				}
				start := time.Now()
				br, err := impact.ComputeBlastRadius(ctx, tr, []string{seed}, 0, nil)
				if err != nil {
					b.Fatal(err)
				}
				c.times = append(c.times, time.Since(start))
				c.size = len(br.Impacted)
			}
		}
		if cs[0].size == 0 || cs[len(cs)-1].size == 0 {
			b.Fatalf("%s: empty blast radius: now %d, as of %d", role, cs[0].size, cs[len(cs)-1].size)
		}
		base := median(cs[0].times)
		for _, c := range cs {
			m := median(c.times)
			fmt.Printf("| %s | %s | %d | %s | %.1fx |\n", role, c.label, c.size, m.Round(time.Microsecond), float64(m)/float64(base))
		}
		// Where an as-of blast radius spends its time, by store call.
		s.reset()
		if _, err := impact.ComputeBlastRadius(ctx, asof.At(s, ago(days)), []string{seed}, 0, nil); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("|  | (store calls as of %d days ago: %s) | | | |\n", days, s.summary())
	}
	others := []struct {
		label string
		f     func() error
	}{
		{"cis(asOf: 1 day ago, first: 50)", func() error {
			_, err := asof.At(s, ago(1)).ListCIs(ctx, s, graph.CIFilter{}, graph.Page{First: 50})
			return err
		}},
		{"cis(asOf: 30 days ago, first: 50)", func() error {
			_, err := asof.At(s, ago(30)).ListCIs(ctx, s, graph.CIFilter{}, graph.Page{First: 50})
			return err
		}},
		{"graphDiff(1 day ago, now)", func() error {
			_, err := asof.Between(ctx, s, ago(1), graph.Now())
			return err
		}},
		{"graphDiff(31 days ago, 30 days ago)", func() error {
			_, err := asof.Between(ctx, s, ago(31), ago(30))
			return err
		}},
	}
	fmt.Printf("| other question | median of 5 |\n|---|---|\n")
	for _, o := range others {
		var ts []time.Duration
		for range 5 {
			start := time.Now()
			if err := o.f(); err != nil {
				b.Fatal(err)
			}
			ts = append(ts, time.Since(start))
		}
		fmt.Printf("| %s | %s |\n", o.label, median(ts).Round(time.Microsecond))
	}
}

// counted counts and times the store calls a past question makes.
type counted struct {
	graph.Store
	mu    sync.Mutex
	order []string
	calls map[string]int
	spent map[string]time.Duration
}

func (c *counted) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order, c.calls, c.spent = nil, map[string]int{}, map[string]time.Duration{}
}

func (c *counted) note(name string, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		return
	}
	if c.calls[name] == 0 {
		c.order = append(c.order, name)
	}
	c.calls[name]++
	c.spent[name] += time.Since(start)
}

func (c *counted) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := ""
	for i, name := range c.order {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s ×%d %s", name, c.calls[name], c.spent[name].Round(time.Microsecond))
	}
	c.calls = nil
	return out
}

func (c *counted) Neighbourhood(ctx context.Context, q graph.NeighbourhoodQuery) (graph.Subgraph, error) {
	defer c.note("Neighbourhood", time.Now())
	return c.Store.Neighbourhood(ctx, q)
}

func (c *counted) Timelines(ctx context.Context, ids []string, since time.Time) (map[string]graph.Timeline, error) {
	start := time.Now()
	tls, err := c.Store.Timelines(ctx, ids, since)
	entries := 0
	for _, tl := range tls {
		entries += len(tl.Since)
	}
	c.note(fmt.Sprintf("Timelines(%d ids: %d entries)", len(ids), entries), start)
	return tls, err
}

func (c *counted) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	defer c.note("CIsByIDs", time.Now())
	return c.Store.CIsByIDs(ctx, ids)
}

func (c *counted) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	defer c.note("RelationsOf", time.Now())
	return c.Store.RelationsOf(ctx, ids, dir, types)
}

// keptHistory is what RIPPLE_BENCH_ASOF_KEEP keeps of a history besides
// the store: the knobs it was built with, the ids the store gave the
// estate's CIs and the instants between days.
type keptHistory struct {
	CIs, Days, Churn int
	IDs              []string
	Instants         []time.Time
	Entries          int
}

func readKept(path string, cis, days, pct int) *keptHistory {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var k keptHistory
	if json.Unmarshal(b, &k) != nil || k.CIs != cis || k.Days != days || k.Churn != pct {
		return nil
	}
	return &k
}

func writeKept(path string, h *history, cis, days, pct int) error {
	b, err := json.Marshal(keptHistory{CIs: cis, Days: days, Churn: pct, IDs: h.IDs, Instants: h.instants, Entries: h.entries})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// history returns the kept history if the store still holds it (every
// estate CI, and nothing else), else nil.
func (k *keptHistory) history(ctx context.Context, s graph.Store) *history {
	est := estate.Generate(k.CIs, 42)
	if len(k.IDs) != len(est.CIs) {
		return nil
	}
	page, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 1})
	if err != nil || page.TotalCount != len(k.IDs) {
		return nil
	}
	got, err := s.CIsByIDs(ctx, k.IDs)
	if err != nil || len(got) != len(k.IDs) {
		return nil
	}
	for i, id := range k.IDs {
		if got[id].Name != est.CIs[i].Name {
			return nil
		}
	}
	return &history{Loaded: &estate.Loaded{Estate: est, IDs: k.IDs}, churn: max(len(est.CIs)*k.Churn/100, 1),
		instants: k.Instants, entries: k.Entries}
}
