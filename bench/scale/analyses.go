package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// -analyses times the three analyses a console home page and a change
// review call (changeImpact of the rack change, rootCauseCandidates of the
// open incidents, slaAtRisk) beside one blast radius of the rack at the
// analyses' depth, on each store, instead of the blast-radius contenders.
// Each is timed cold (the first call after a graph write) and warm (called
// again with nothing written).
var (
	analysesFlag    = flag.Bool("analyses", false, "time changeImpact, rootCauseCandidates and slaAtRisk beside one blast radius (cold and warm) instead of the blast-radius contenders")
	analysesProfile = flag.String("analyses-cpuprofile", "", "with -analyses: write a CPU profile of the timed rounds to this file")
)

// The records the analyses read, as the issue measured them.
const (
	benchSLAs      = 50
	benchIncidents = 30
	benchChanges   = 10
)

// analysisSide is one store with its records and an analyst over it.
type analysisSide struct {
	*side
	svc     *itsm.Service
	analyst *analysis.Analyst
	// rackChange is the change whose impact is timed: on the rack seed.
	rackChange string
	// allTargets are the live changes' targets.
	allTargets []string
	// scratch is the CI whose attribute the bench rewrites to move the
	// graph version.
	scratch string
	writes  int
}

// timedCall is one thing timed per side.
type timedCall struct {
	name string
	run  func(ctx context.Context, s *analysisSide) error
}

var analysisCalls = []timedCall{
	{"blast radius (rack)", func(ctx context.Context, s *analysisSide) error {
		_, err := impact.ComputeBlastRadius(ctx, s.store, []string{s.loaded.SeedID(estate.RoleRack)}, graph.DefaultMaxDepth, nil)
		return err
	}},
	// What a cold changeImpact or slaAtRisk must reach: the blast radius
	// of every live change's targets, as one traversal.
	{"blast radius (all targets)", func(ctx context.Context, s *analysisSide) error {
		_, err := impact.ComputeBlastRadius(ctx, s.store, s.allTargets, graph.DefaultMaxDepth, nil)
		return err
	}},
	{"changeImpact (rack)", func(ctx context.Context, s *analysisSide) error {
		_, err := s.analyst.ChangeImpact(ctx, s.rackChange)
		return err
	}},
	{"rootCauseCandidates", func(ctx context.Context, s *analysisSide) error {
		got, err := s.analyst.RootCauseCandidates(ctx, nil, nil, 10)
		if err == nil && len(got) == 0 {
			err = fmt.Errorf("no candidates")
		}
		return err
	}},
	{"slaAtRisk", func(ctx context.Context, s *analysisSide) error {
		got, err := s.analyst.SLAAtRisk(ctx, s.svc.Now())
		if err == nil && len(got) != benchSLAs {
			err = fmt.Errorf("%d SLA statuses, want %d", len(got), benchSLAs)
		}
		return err
	}},
}

// runAnalyses is the -analyses run: load, add the records, time.
func runAnalyses(ctx context.Context, cfg config) error {
	b, err := setup(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	var sides []*analysisSide
	for _, s := range []*side{b.neo, b.emb} {
		if s == nil {
			continue
		}
		as, err := newAnalysisSide(ctx, s, b.driver)
		if err != nil {
			return fmt.Errorf("%s: records: %w", s.name, err)
		}
		sides = append(sides, as)
	}
	fmt.Printf("records: %d SLAs, %d open incidents, %d live changes per store\n", benchSLAs, benchIncidents, benchChanges)
	for _, s := range sides {
		rack, err := impact.ComputeBlastRadius(ctx, s.store, []string{s.loaded.SeedID(estate.RoleRack)}, graph.DefaultMaxDepth, nil)
		if err != nil {
			return err
		}
		all, err := impact.ComputeBlastRadius(ctx, s.store, s.allTargets, graph.DefaultMaxDepth, nil)
		if err != nil {
			return err
		}
		fmt.Printf("%s: the rack's blast radius holds %d CIs, that of all %d change targets %d\n", s.name, len(rack.Impacted), len(s.allTargets), len(all.Impacted))
	}

	// times[call][side][cold|warm]
	times := map[string]map[string][2][]time.Duration{}
	for _, c := range analysisCalls {
		times[c.name] = map[string][2][]time.Duration{}
	}
	if *analysesProfile != "" {
		f, err := os.Create(*analysesProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for r := 0; r < cfg.runs; r++ {
		for _, c := range analysisCalls {
			for _, s := range sides {
				if err := s.touch(ctx); err != nil {
					return err
				}
				cw := times[c.name][s.name]
				for i := range cw {
					t0 := time.Now()
					if err := c.run(ctx, s); err != nil {
						return fmt.Errorf("%s, %s: %w", s.name, c.name, err)
					}
					cw[i] = append(cw[i], time.Since(t0))
				}
				times[c.name][s.name] = cw
			}
		}
	}

	fmt.Printf("\nAnalyses, depth %d, %d rounds: p50 / p95 in ms; cold = first call after a graph write, warm = the next\n\n", graph.DefaultMaxDepth, cfg.runs)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprint(w, "call\t")
	for _, s := range sides {
		fmt.Fprintf(w, "%s cold\t%s warm\t", s.name, s.name)
	}
	fmt.Fprintln(w)
	for _, c := range analysisCalls {
		fmt.Fprintf(w, "%s\t", c.name)
		for _, s := range sides {
			for _, d := range times[c.name][s.name] {
				fmt.Fprintf(w, "%s / %s\t", ms(pct(d, 50)), ms(pct(d, 95)))
			}
		}
		fmt.Fprintln(w)
	}
	_ = w.Flush()

	ratio := func(num, den []time.Duration) string {
		return fmt.Sprintf("%.2f×", float64(pct(num, 50))/float64(max(pct(den, 50), time.Microsecond)))
	}
	blast, allBlast := analysisCalls[0].name, analysisCalls[1].name
	fmt.Printf("\nRatios of p50: analysis / one blast radius on the same store (of the rack; of all targets: what a cold call must reach; the blast radius warm), neo4j / embedded\n\n")
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprint(w, "call\t")
	for _, s := range sides {
		fmt.Fprintf(w, "%s cold / blast\t%s cold / all-targets blast\t%s warm / blast\t", s.name, s.name, s.name)
	}
	if len(sides) == 2 {
		fmt.Fprint(w, "neo4j / embedded cold\tneo4j / embedded warm\t")
	}
	fmt.Fprintln(w)
	for _, c := range analysisCalls[2:] {
		fmt.Fprintf(w, "%s\t", c.name)
		for _, s := range sides {
			bl, all := times[blast][s.name][1], times[allBlast][s.name][1]
			fmt.Fprintf(w, "%s\t%s\t%s\t", ratio(times[c.name][s.name][0], bl), ratio(times[c.name][s.name][0], all), ratio(times[c.name][s.name][1], bl))
		}
		if len(sides) == 2 {
			n, e := times[c.name][sides[0].name], times[c.name][sides[1].name]
			fmt.Fprintf(w, "%s\t%s\t", ratio(n[0], e[0]), ratio(n[1], e[1]))
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return analysesThroughput(ctx, cfg, sides)
}

// touchEvery is how often the throughput run with writes writes to the
// graph.
const touchEvery = 500 * time.Millisecond

// analysesThroughput has n clients call the analyses in turn (each client
// starting at another), warm, then with a graph write every touchEvery, so
// that calls meet cold caches and each other's computations: throughput
// should rise with clients until the cores are busy.
func analysesThroughput(ctx context.Context, cfg config, sides []*analysisSide) error {
	if len(cfg.clients) == 0 {
		return nil
	}
	fmt.Printf("\nThroughput: changeImpact, rootCauseCandidates and slaAtRisk in turn per client, %v per measurement; writes: one graph write every %v\n\n", cfg.window, touchEvery)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "store\tclients\twrites\tcalls/s\tp50 ms\tp95 ms\tfailed\t")
	calls := analysisCalls[2:]
	var errs failures
	for _, s := range sides {
		for _, writes := range []bool{false, true} {
			for _, n := range cfg.clients {
				stop := make(chan struct{})
				var wrote sync.WaitGroup
				if writes {
					wrote.Add(1)
					go func() {
						defer wrote.Done()
						tick := time.NewTicker(touchEvery)
						defer tick.Stop()
						for {
							select {
							case <-stop:
								return
							case <-tick.C:
								_ = s.touch(ctx) // a failed write leaves the caches warm, which the figures show
							}
						}
					}()
				}
				turn := make([]int, n)
				r := runClients(ctx, n, cfg.window, func(ctx context.Context, client int) error {
					c := calls[(client+turn[client])%len(calls)]
					turn[client]++
					return c.run(ctx, s)
				})
				close(stop)
				wrote.Wait()
				p50, p95 := r.p50p95()
				fmt.Fprintf(w, "%s\t%d\t%v\t%.1f\t%s\t%s\t%d\t\n", s.name, n, writes, r.perSecond, p50, p95, r.failed)
				errs.add(fmt.Sprintf("%s, %d clients, writes %v", s.name, n, writes), r)
			}
		}
	}
	if err := errs.flush(w); err != nil {
		return err
	}
	return graphWriteThroughput(ctx, cfg, sides)
}

// graphWriteThroughput has n writers each rewrite an attribute of its own
// CI back to back: graph writes share nothing but the graph version, so
// they should not queue on one another.
func graphWriteThroughput(ctx context.Context, cfg config, sides []*analysisSide) error {
	fmt.Printf("\nThroughput: graph writes (UpsertCI of one attribute, each writer its own CI), %v per measurement\n\n", cfg.window)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "store\twriters\twrites/s\tp50 ms\tp95 ms\tfailed\t")
	var errs failures
	for _, s := range sides {
		// Pods, as touch writes: their attributes matter to no analysis.
		var pods []string
		for i, c := range s.loaded.Estate.CIs {
			if c.Class == graph.ClassPod {
				pods = append(pods, s.loaded.IDs[i])
			}
		}
		for _, n := range cfg.clients {
			count := make([]int, n)
			r := runClients(ctx, n, cfg.window, func(ctx context.Context, client int) error {
				count[client]++
				_, err := s.store.UpsertCI(ctx, graph.CIInput{ID: pods[client%len(pods)], Attributes: map[string]any{"written": count[client]}})
				return err
			})
			p50, p95 := r.p50p95()
			fmt.Fprintf(w, "%s\t%d\t%.1f\t%s\t%s\t%d\t\n", s.name, n, r.perSecond, p50, p95, r.failed)
			errs.add(fmt.Sprintf("%s, %d writers", s.name, n), r)
		}
	}
	return errs.flush(w)
}

// newAnalysisSide replaces the side's records (on Neo4j, those a previous
// run left) with the bench's: SLAs on services half of which the rack takes
// down, open incidents half of them inside the rack's blast radius, and
// live changes in the coming days, some committed, two on the same rack.
func newAnalysisSide(ctx context.Context, s *side, d neo4j.DriverWithContext) (*analysisSide, error) {
	if s.name == "neo4j" {
		if _, err := neo4j.ExecuteQuery(ctx, d, "MATCH (r:Record) DETACH DELETE r", nil, neo4j.EagerResultTransformer); err != nil {
			return nil, fmt.Errorf("clear records: %w", err)
		}
	}
	svc := itsm.New(s.store)
	svc.AllowSelfApproval = true
	as := &analysisSide{side: s, svc: svc, analyst: analysis.New(svc)}
	est := s.loaded.Estate
	rack := s.loaded.SeedID(estate.RoleRack)
	br, err := impact.ComputeBlastRadius(ctx, s.store, []string{rack}, graph.DefaultMaxDepth, nil)
	if err != nil {
		return nil, err
	}
	inRack := map[string]bool{}
	for _, im := range br.Impacted {
		inRack[im.CI.ID] = true
	}
	// Estate indexes by class, in estate order, so both stores pick the
	// same CIs.
	byClass := map[string][]int{}
	for i, c := range est.CIs {
		byClass[c.Class] = append(byClass[c.Class], i)
	}
	pick := func(classes []string, n int, hit bool) []string {
		var out []string
		for _, class := range classes {
			for _, i := range byClass[class] {
				if id := s.loaded.IDs[i]; inRack[id] == hit && len(out) < n {
					out = append(out, id)
				}
			}
		}
		return out
	}
	services := []string{graph.ClassBusinessService, graph.ClassApplicationService}
	slaOn := append(pick(services, benchSLAs/2, true), pick(services, benchSLAs, false)...)[:benchSLAs]
	for i, id := range slaOn {
		if _, err := svc.CreateSLA(ctx, itsm.CreateSLAInput{ServiceID: id, Name: fmt.Sprintf("sla-%02d", i),
			AvailabilityTarget: 99.9, Period: "MONTH",
			Targets: []itsm.PriorityTarget{{Priority: itsm.P1, Response: 15 * time.Minute, Resolution: 4 * time.Hour},
				{Priority: itsm.P3, Response: time.Hour, Resolution: 24 * time.Hour}}}); err != nil {
			return nil, fmt.Errorf("SLA on %s: %w", id, err)
		}
	}
	apps := []string{graph.ClassApplication}
	incOn := append(pick(apps, benchIncidents/2, true), pick(apps, benchIncidents, false)...)[:benchIncidents]
	now := svc.Now()
	for i, id := range incOn {
		opened := now.Add(-time.Duration(i+1) * 10 * time.Minute)
		if _, err := svc.CreateIncident(ctx, itsm.CreateIncidentInput{Title: fmt.Sprintf("incident-%02d", i), AffectedCIs: []string{id},
			Impact: ptrTo(1 + i%3), Urgency: ptrTo(1 + i%3), OpenedAt: &opened, OutageStart: &opened}); err != nil {
			return nil, fmt.Errorf("incident on %s: %w", id, err)
		}
	}
	// Change targets: the rack twice, another rack, hypervisors of other
	// racks, databases, the pod.
	targets := [][]string{{rack}, {rack}}
	racks, hvs, dbs := byClass[graph.ClassRack], byClass[graph.ClassHypervisor], byClass[graph.ClassDatabase]
	targets = append(targets, []string{s.loaded.IDs[racks[len(racks)/2]]})
	for _, i := range []int{hvs[len(hvs)/3], hvs[2*len(hvs)/3], hvs[len(hvs)-1]} {
		targets = append(targets, []string{s.loaded.IDs[i]})
	}
	for _, i := range []int{dbs[0], dbs[len(dbs)/2], dbs[len(dbs)-1]} {
		targets = append(targets, []string{s.loaded.IDs[i]})
	}
	targets = append(targets, []string{s.loaded.SeedID(estate.RolePod)})
	for i, t := range targets[:benchChanges] {
		start := now.Add(time.Duration(2+i*3) * time.Hour)
		c, err := svc.CreateChange(ctx, itsm.CreateChangeInput{Title: fmt.Sprintf("change-%02d", i), Type: itsm.ChangeNormal,
			TargetCIs: t, PlannedStart: start, PlannedEnd: start.Add(4 * time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("change on %s: %w", strings.Join(t, ","), err)
		}
		if i == 0 {
			as.rackChange = c.ID
		}
		for _, id := range t {
			if !slices.Contains(as.allTargets, id) {
				as.allTargets = append(as.allTargets, id)
			}
		}
		// Every other change committed: assessed, approved, scheduled.
		if i%2 == 0 {
			for _, to := range []itsm.ChangeState{itsm.ChangeAssessed, itsm.ChangeApproved, itsm.ChangeScheduled} {
				if to == itsm.ChangeApproved {
					_, err = svc.ApproveChange(ctx, c.ID, itsm.Approve, "bench")
				} else {
					_, err = svc.TransitionChange(ctx, c.ID, to, "", "")
				}
				if err != nil {
					return nil, fmt.Errorf("change %d to %s: %w", i, to, err)
				}
			}
		}
	}
	// Touching an estate CI (not adding one) keeps the Neo4j estate
	// recognisable for the next run.
	as.scratch = s.loaded.SeedID(estate.RolePod)
	return as, nil
}

// touch writes to the graph (an attribute of the pod), so
// the next analysis is the first after a write.
func (s *analysisSide) touch(ctx context.Context) error {
	s.writes++
	_, err := s.store.UpsertCI(ctx, graph.CIInput{ID: s.scratch, Attributes: map[string]any{"touched": s.writes}})
	return err
}

func ptrTo[T any](v T) *T { return &v }
