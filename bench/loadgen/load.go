package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// Options shape a load run.
type Options struct {
	// Duration of the load (not counting seeding and verification).
	Duration time.Duration
	// Clients is how many requests are in flight at once.
	Clients int
	// Prefix names everything the run writes, so that runs on one store
	// never meet (default: a fresh one per run).
	Prefix string
}

// Operation kinds, in the mix Run sends (weights out of 100).
var mix = []struct {
	kind   string
	weight int
}{
	{"ci", 25}, {"cis", 20}, {"blastRadius", 15}, {"dependencies", 15},
	{"upsertCI+relate", 15}, {"createIncident", 10},
}

// Stats are one operation kind's figures.
type Stats struct {
	Kind     string
	Requests int
	Errors   int
	// ErrorCodes counts errors by code (see ErrorCode).
	ErrorCodes map[string]int
	P50, P99   time.Duration
	latencies  []time.Duration
}

// Report is what a load run measured and found.
type Report struct {
	Elapsed time.Duration
	Ops     []Stats
	// Acknowledged counts the writes the server acknowledged; Missing
	// lists those not found afterwards (empty on a correct server).
	Acknowledged int
	Missing      []string
}

// Requests and Errors are totals over every kind.
func (r Report) Requests() (n int) {
	for _, s := range r.Ops {
		n += s.Requests
	}
	return n
}

// Errors is the number of failed requests of every kind.
func (r Report) Errors() (n int) {
	for _, s := range r.Ops {
		n += s.Errors
	}
	return n
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50\tp99\terrors\t")
	for _, s := range r.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%d %v\t\n", s.Kind, s.Requests, float64(s.Requests)/r.Elapsed.Seconds(),
			ms(s.P50), ms(s.P99), s.Errors, codes(s.ErrorCodes))
	}
	all := r.total()
	fmt.Fprintf(tw, "all\t%d\t%.0f\t%s\t%s\t%d\t\n", all.Requests, float64(all.Requests)/r.Elapsed.Seconds(), ms(all.P50), ms(all.P99), all.Errors)
	_ = tw.Flush()
	fmt.Fprintf(w, "acknowledged writes: %d, missing afterwards: %d\n", r.Acknowledged, len(r.Missing))
	for i, m := range r.Missing {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(r.Missing)-10)
			break
		}
		fmt.Fprintln(w, "  missing:", m)
	}
}

func (r Report) total() Stats {
	all := Stats{Kind: "all"}
	for _, s := range r.Ops {
		all.Requests += s.Requests
		all.Errors += s.Errors
		all.latencies = append(all.latencies, s.latencies...)
	}
	all.percentiles()
	return all
}

func (s *Stats) percentiles() {
	if len(s.latencies) == 0 {
		return
	}
	slices.Sort(s.latencies)
	at := func(q float64) time.Duration {
		return s.latencies[min(len(s.latencies)-1, int(q*float64(len(s.latencies))))]
	}
	s.P50, s.P99 = at(0.50), at(0.99)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func codes(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	return fmt.Sprint(m)
}

// estate is what the seed wrote: hosts with applications running on them.
type estate struct {
	hosts, apps []string
}

// ack is a write the server acknowledged, and how to find it again.
type ack struct {
	kind, id, name, host string
}

// Run seeds a small estate through c, runs the mixed load for
// opts.Duration with opts.Clients clients, then checks every acknowledged
// write.
func Run(ctx context.Context, c *Client, opts Options) (Report, error) {
	if opts.Clients <= 0 {
		opts.Clients = 16
	}
	if opts.Prefix == "" {
		opts.Prefix = fmt.Sprintf("load-%d", time.Now().UnixNano())
	}
	est, err := seed(ctx, c, opts.Prefix)
	if err != nil {
		return Report{}, fmt.Errorf("seed: %w", err)
	}
	var (
		mu    sync.Mutex
		stats = map[string]*Stats{}
		acks  []ack
		wg    sync.WaitGroup
	)
	for _, m := range mix {
		stats[m.kind] = &Stats{Kind: m.kind, ErrorCodes: map[string]int{}}
	}
	start := time.Now()
	deadline := start.Add(opts.Duration)
	for w := range opts.Clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				kind := pick(rng)
				t0 := time.Now()
				a, err := do(ctx, c, kind, est, rng, fmt.Sprintf("%s-w%d-%d", opts.Prefix, w, n))
				took := time.Since(t0)
				mu.Lock()
				s := stats[kind]
				s.Requests++
				s.latencies = append(s.latencies, took)
				if err != nil {
					s.Errors++
					s.ErrorCodes[ErrorCode(err)]++
				} else if a != nil {
					acks = append(acks, *a)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep := Report{Elapsed: time.Since(start), Acknowledged: len(acks)}
	for _, m := range mix {
		s := stats[m.kind]
		s.percentiles()
		rep.Ops = append(rep.Ops, *s)
	}
	rep.Missing, err = verify(ctx, c, acks, opts.Clients)
	return rep, err
}

func pick(rng *rand.Rand) string {
	n := rng.IntN(100)
	for _, m := range mix {
		if n < m.weight {
			return m.kind
		}
		n -= m.weight
	}
	return mix[0].kind
}

// The estate's size: enough for blast radii and dependencies of a few hops.
const (
	seedHosts = 8
	seedApps  = 32
)

func seed(ctx context.Context, c *Client, prefix string) (estate, error) {
	var est estate
	db, err := upsert(ctx, c, prefix+"-db", "Database")
	if err != nil {
		return est, err
	}
	for i := range seedHosts {
		id, err := upsert(ctx, c, fmt.Sprintf("%s-host-%d", prefix, i), "VirtualMachine")
		if err != nil {
			return est, err
		}
		est.hosts = append(est.hosts, id)
	}
	for i := range seedApps {
		id, err := upsert(ctx, c, fmt.Sprintf("%s-app-%d", prefix, i), "Application")
		if err != nil {
			return est, err
		}
		if err := relate(ctx, c, id, "RUNS_ON", est.hosts[i%seedHosts]); err != nil {
			return est, err
		}
		if err := relate(ctx, c, id, "DEPENDS_ON", db); err != nil {
			return est, err
		}
		est.apps = append(est.apps, id)
	}
	return est, nil
}

func upsert(ctx context.Context, c *Client, name, class string) (string, error) {
	var out struct{ UpsertCI struct{ ID string } }
	err := c.Do(ctx, `mutation($in: CIInput!) { upsertCI(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": name, "class": class, "owner": "team-load",
			"identifiers": []map[string]any{{"kind": "hostname", "value": name}}}}, &out)
	return out.UpsertCI.ID, err
}

func relate(ctx context.Context, c *Client, from, typ, to string) error {
	return c.Do(ctx, `mutation($f: ID!, $t: String!, $to: ID!) { relate(from: $f, type: $t, to: $to) { type } }`,
		map[string]any{"f": from, "t": typ, "to": to}, nil)
}

// do sends one operation of the kind; a write returns what it wrote.
func do(ctx context.Context, c *Client, kind string, est estate, rng *rand.Rand, name string) (*ack, error) {
	host := est.hosts[rng.IntN(len(est.hosts))]
	app := est.apps[rng.IntN(len(est.apps))]
	switch kind {
	case "ci":
		return nil, c.Do(ctx, `query($id: ID!) { ci(id: $id) { id name class status identifiers { kind value } } }`,
			map[string]any{"id": app}, nil)
	case "cis":
		var page struct {
			CIs struct {
				PageInfo struct {
					EndCursor   string
					HasNextPage bool
				}
			}
		}
		q := `query($after: String) { cis(filter: {class: "Application"}, first: 20, after: $after) {
			totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } } }`
		if err := c.Do(ctx, q, nil, &page); err != nil {
			return nil, err
		}
		if !page.CIs.PageInfo.HasNextPage {
			return nil, nil
		}
		return nil, c.Do(ctx, q, map[string]any{"after": page.CIs.PageInfo.EndCursor}, nil)
	case "blastRadius":
		return nil, c.Do(ctx, `query($id: ID!) { blastRadius(ciIds: [$id], maxDepth: 4) { totalCount
			impacted { ci { name } effect distance } } }`, map[string]any{"id": host}, nil)
	case "dependencies":
		return nil, c.Do(ctx, `query($id: ID!) { dependencies(ciId: $id, maxDepth: 4) { distance ci { name } } }`,
			map[string]any{"id": app}, nil)
	case "upsertCI+relate":
		id, err := upsert(ctx, c, name, "Application")
		if err != nil {
			return nil, err
		}
		if err := relate(ctx, c, id, "RUNS_ON", host); err != nil {
			// The CI was acknowledged; the relation was not.
			return &ack{kind: "ci", id: id, name: name}, err
		}
		return &ack{kind: "ci", id: id, name: name, host: host}, nil
	case "createIncident":
		var out struct{ CreateIncident struct{ ID string } }
		err := c.Do(ctx, `mutation($in: CreateIncidentInput!) { createIncident(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"title": name, "affectedCiIds": []string{app}, "impact": 3, "urgency": 3}}, &out)
		if err != nil {
			return nil, err
		}
		return &ack{kind: "incident", id: out.CreateIncident.ID, name: name}, nil
	}
	return nil, fmt.Errorf("unknown operation %q", kind)
}

// verify reads back every acknowledged write, with clients readers, and
// returns those missing or different.
func verify(ctx context.Context, c *Client, acks []ack, clients int) ([]string, error) {
	var (
		mu       sync.Mutex
		missing  []string
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan ack)
	for range clients {
		wg.Go(func() {
			for a := range next {
				problem, err := check(ctx, c, a)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("verify %s %s: %w", a.kind, a.id, err)
				}
				if problem != "" {
					missing = append(missing, problem)
				}
				mu.Unlock()
			}
		})
	}
	for _, a := range acks {
		next <- a
	}
	close(next)
	wg.Wait()
	slices.Sort(missing)
	return missing, firstErr
}

func check(ctx context.Context, c *Client, a ack) (string, error) {
	switch a.kind {
	case "incident":
		var out struct{ Incident *struct{ Title string } }
		if err := c.Do(ctx, `query($id: ID!) { incident(id: $id) { title } }`, map[string]any{"id": a.id}, &out); err != nil {
			return "", err
		}
		if out.Incident == nil || out.Incident.Title != a.name {
			return fmt.Sprintf("incident %s %q", a.id, a.name), nil
		}
	default:
		var out struct {
			CI           *struct{ Name string }
			Dependencies []struct{ CI struct{ ID string } }
		}
		if err := c.Do(ctx, `query($id: ID!) { ci(id: $id) { name } dependencies(ciId: $id, maxDepth: 1) { ci { id } } }`,
			map[string]any{"id": a.id}, &out); err != nil {
			return "", err
		}
		if out.CI == nil || out.CI.Name != a.name {
			return fmt.Sprintf("CI %s %q", a.id, a.name), nil
		}
		if a.host != "" && !slices.ContainsFunc(out.Dependencies, func(d struct{ CI struct{ ID string } }) bool { return d.CI.ID == a.host }) {
			return fmt.Sprintf("relation %s RUNS_ON %s", a.id, a.host), nil
		}
	}
	return "", nil
}
