// Package correlate groups incidents that one cause explains: one major
// (parent) incident per group, naming the likely cause and the suspected
// change, with the incidents it explains as its children, each carrying
// why it is there. It ranks causes with the root-cause analysis
// (graph/analysis over graph/rootcause) and keeps the groups in the store
// as ordinary incident records (graph/itsm), so any Ripple replica sees
// and updates the same groups.
//
// A pass (Correlate) looks at every open incident opened within the
// look-back, and at the children of the open groups: it ranks their
// causes, takes the best candidate that explains at least MinIncidents of
// them, on two CIs or more, opened within Window of each other, with
// enough evidence, makes
// that a group, and ranks what is left again, until no candidate fits.
// It then writes only what changed: new and moved children, the groups'
// causes, and children that no longer fit (moved out).
//
// Passes are coalesced: a pass starts Delay after what triggered it, and
// incidents opened, moved or resolved meanwhile or while it runs are taken
// by one more pass after it, so a storm of hundreds of alerts costs a few
// passes, each one ranking the whole set once per group found, not a pass
// per alert.
//
// Resolution: when every child of a group is resolved, its major
// incident resolves with a note; when someone resolves the major
// incident, its open children resolve with it (ServiceNow's parent and
// child incidents work the same way). A child that resolves stays in its
// group, as the record of what happened; if its alert fires again, the
// reopened incident is correlated afresh.
package correlate

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/analysis"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Options tune grouping; zero fields take the defaults.
type Options struct {
	// Window is how far apart in opening time the incidents of one group
	// may be. Default 15 minutes.
	Window time.Duration
	// Lookback is how long ago an open incident may have opened and still
	// be grouped. Default 24 hours (as rootCauseCandidates).
	Lookback time.Duration
	// MinIncidents is the fewest incidents a group starts with. Default 2.
	MinIncidents int
	// MinEvidence is the least log-odds (in nats, against "nothing failed,
	// these are unrelated") the cause needs. Default 1 (e ≈ 2.7 : 1).
	MinEvidence float64
	// Delay is how long a pass waits after what triggered it, and after
	// the pass before it: a storm's incidents are taken in batches rather
	// than by passes back to back, which would compete with their
	// ingestion for the store. Default 500ms.
	Delay time.Duration
}

// Defaults.
const (
	DefaultWindow       = 15 * time.Minute
	DefaultLookback     = 24 * time.Hour
	DefaultMinIncidents = 2
	DefaultMinEvidence  = 1.0
	DefaultDelay        = 500 * time.Millisecond
)

// WithDefaults fills the zero fields.
func (o Options) WithDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Lookback <= 0 {
		o.Lookback = DefaultLookback
	}
	if o.MinIncidents < 2 {
		o.MinIncidents = DefaultMinIncidents
	}
	if o.MinEvidence == 0 {
		o.MinEvidence = DefaultMinEvidence
	}
	if o.Delay <= 0 {
		o.Delay = DefaultDelay
	}
	return o
}

// Actor is who correlation's writes are attributed to in the audit trail.
const Actor = "ripple-correlation"

// Service keeps incident groups in step with the incidents. It is safe
// for concurrent use; its state is the store's, plus which pass runs.
type Service struct {
	ITSM    *itsm.Service
	Analyst *analysis.Analyst
	Options Options
	// OnError receives what a pass started by IncidentChanged failed with
	// (the caller logs it); nil drops it. The next pass tries again.
	OnError func(error)

	mu      sync.Mutex
	running bool
	dirty   bool
	idle    *sync.Cond
}

// New returns a service over the analyst (and its ITSM service).
func New(a *analysis.Analyst, o Options) *Service {
	s := &Service{ITSM: a.ITSM, Analyst: a, Options: o}
	s.idle = sync.NewCond(&s.mu)
	return s
}

type passKey struct{}

// IncidentChanged is itsm.Service's hook: an incident was raised, moved
// or given other CIs. A major incident someone resolved resolves its open
// children at once; anything else schedules a pass. Correlation's own
// writes are ignored.
func (s *Service) IncidentChanged(ctx context.Context, inc *itsm.Incident) {
	if ctx.Value(passKey{}) != nil {
		return
	}
	if inc.Major && inc.State == itsm.IncidentResolved {
		if err := s.resolveChildren(s.passContext(ctx), inc); err != nil {
			s.report(err)
		}
	}
	s.Trigger(ctx)
}

// Trigger schedules a pass: it starts one in the background, or, while
// one runs, has one more run after it.
func (s *Service) Trigger(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		s.dirty = true
		return
	}
	s.running = true
	go s.loop(s.passContext(ctx))
}

func (s *Service) loop(ctx context.Context) {
	for {
		time.Sleep(s.Options.WithDefaults().Delay)
		if _, err := s.Correlate(ctx); err != nil {
			s.report(err)
		}
		s.mu.Lock()
		if !s.dirty {
			s.running = false
			s.idle.Broadcast()
			s.mu.Unlock()
			return
		}
		s.dirty = false
		s.mu.Unlock()
	}
}

// Wait blocks until no pass runs or is due.
func (s *Service) Wait() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.running {
		s.idle.Wait()
	}
}

func (s *Service) report(err error) {
	if s.OnError != nil {
		s.OnError(err)
	}
}

// passContext is ctx without its deadline (a pass outlives the request
// that started it), marked as correlation's and attributed to Actor.
func (s *Service) passContext(ctx context.Context) context.Context {
	return graph.WithActor(context.WithValue(context.WithoutCancel(ctx), passKey{}, true), Actor)
}

// Summary is what one pass did.
type Summary struct {
	// Groups is the number of open groups after the pass.
	Groups int
	// Opened, Updated and Resolved count major incidents; Grouped,
	// MovedOut the children written.
	Opened, Updated, Resolved int
	Grouped, MovedOut         int
}

// group is one group a pass found.
type group struct {
	cause   analysis.RootCause
	members []*itsm.Incident // by opening time
	onset   time.Time
}

// Correlate runs one pass now (see the package comment).
func (s *Service) Correlate(ctx context.Context) (Summary, error) {
	if ctx.Value(passKey{}) == nil {
		ctx = s.passContext(ctx)
	}
	o := s.Options.WithDefaults()
	now := s.ITSM.Now()
	since := now.Add(-o.Lookback)
	var sum Summary
	open, err := s.list(ctx, itsm.IncidentFilter{Open: true, From: &since})
	if err != nil {
		return sum, fmt.Errorf("correlate: open incidents: %w", err)
	}
	parents, err := s.list(ctx, itsm.IncidentFilter{Open: true, Major: true})
	if err != nil {
		return sum, fmt.Errorf("correlate: open groups: %w", err)
	}
	// Every open incident, and every child of an open group whatever its
	// state: a resolved child is still evidence for its group's cause.
	considered := map[string]*itsm.Incident{}
	for _, inc := range open {
		if !inc.Major {
			considered[inc.ID] = inc
		}
	}
	children := map[string][]*itsm.Incident{}
	for _, p := range parents {
		kids, err := s.list(ctx, itsm.IncidentFilter{Parent: p.ID})
		if err != nil {
			return sum, fmt.Errorf("correlate: children of %s: %w", p.ID, err)
		}
		children[p.ID] = kids
		for _, k := range kids {
			if k.State != itsm.IncidentClosed {
				considered[k.ID] = k
			}
		}
	}
	var groups []group
	var model *analysis.CauseModel
	if len(considered) >= o.MinIncidents {
		incs := sortedIncidents(considered)
		if model, err = s.Analyst.CauseModel(ctx, incs, since); err != nil {
			return sum, fmt.Errorf("correlate: causes: %w", err)
		}
		if model != nil {
			groups = find(model, incs, o)
		}
	}
	return s.apply(ctx, o, model, groups, parents, children)
}

func (s *Service) list(ctx context.Context, f itsm.IncidentFilter) ([]*itsm.Incident, error) {
	return analysis.EveryPage(func(p graph.Page) ([]*itsm.Incident, graph.RecordPage, error) { return s.ITSM.ListIncidents(ctx, f, p) })
}

func sortedIncidents(m map[string]*itsm.Incident) []*itsm.Incident {
	out := make([]*itsm.Incident, 0, len(m))
	for _, inc := range m {
		out = append(out, inc)
	}
	slices.SortFunc(out, byOpening)
	return out
}

func byOpening(a, b *itsm.Incident) int {
	return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), cmp.Compare(a.ID, b.ID))
}

// find takes groups greedily: the best-ranked candidate that explains
// enough incidents within the window, with enough evidence, is a group;
// its incidents leave the set, which is ranked again. Each ranking costs
// one propagation per candidate CI (rootcause.Rank), so a pass costs
// that once per group found, plus once.
func find(model *analysis.CauseModel, incs []*itsm.Incident, o Options) []group {
	remaining := map[string]bool{}
	for _, inc := range incs {
		remaining[inc.ID] = true
	}
	var groups []group
	for len(remaining) >= o.MinIncidents {
		ids := make([]string, 0, len(remaining))
		for id := range remaining {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var found *group
		for _, c := range model.Rank(ids, candidatesPerRanking) {
			if c.LogOdds < o.MinEvidence {
				break // ranked by log-odds: none further has enough
			}
			var explained []*itsm.Incident
			for _, inc := range c.Explains {
				if remaining[inc.ID] {
					explained = append(explained, inc)
				}
			}
			members := burst(explained, o.Window)
			if len(members) >= o.MinIncidents && distinctCIs(members) >= 2 {
				found = &group{cause: c, members: members, onset: members[0].OpenedAt}
				break
			}
		}
		if found == nil {
			break
		}
		for _, m := range found.members {
			delete(remaining, m.ID)
		}
		groups = append(groups, *found)
	}
	return groups
}

// distinctCIs counts the CIs the incidents are on: several alerts about
// one CI are that CI's business, not a failure seen from many places.
func distinctCIs(incs []*itsm.Incident) int {
	seen := map[string]bool{}
	for _, inc := range incs {
		for _, ci := range inc.AffectedCIs {
			seen[ci] = true
		}
	}
	return len(seen)
}

// candidatesPerRanking bounds the candidates a ranking reports: past the
// first few, a candidate that fits is unlikely and each costs a
// propagation.
const candidatesPerRanking = 10

// burst returns the largest set of incidents that opened within window of
// each other (the earliest such set on a tie), by opening time.
func burst(incs []*itsm.Incident, window time.Duration) []*itsm.Incident {
	s := slices.Clone(incs)
	slices.SortFunc(s, byOpening)
	best, bestLen := 0, 0
	lo := 0
	for hi := range s {
		for s[hi].OpenedAt.Sub(s[lo].OpenedAt) > window {
			lo++
		}
		if n := hi - lo + 1; n > bestLen {
			best, bestLen = lo, n
		}
	}
	return s[best : best+bestLen]
}

// apply writes the groups: each takes the open parent it shares the most
// children with (its id stays, its cause may change), or a new one; open
// children that no group holds any more move out; parents left with no
// open child resolve.
func (s *Service) apply(ctx context.Context, o Options, model *analysis.CauseModel, groups []group, parents []*itsm.Incident, children map[string][]*itsm.Incident) (Summary, error) {
	var sum Summary
	parentOf := map[string]string{} // child id → open parent id, as stored
	for pid, kids := range children {
		for _, k := range kids {
			parentOf[k.ID] = pid
		}
	}
	byID := map[string]*itsm.Incident{}
	for _, p := range parents {
		byID[p.ID] = p
	}
	taken := map[string]int{} // parent id → open children it holds now
	kept := map[string]bool{} // children some group holds now
	for _, g := range groups {
		if !slices.ContainsFunc(g.members, (*itsm.Incident).Open) {
			continue // a group of the past: nothing to write
		}
		overlap := map[string]int{}
		for _, m := range g.members {
			if pid := parentOf[m.ID]; pid != "" && taken[pid] == 0 {
				overlap[pid]++
			}
		}
		pid := ""
		for id, n := range overlap {
			p := byID[id]
			if pid == "" || n > overlap[pid] || (n == overlap[pid] && sameCause(p, g) && !sameCause(byID[pid], g)) ||
				(n == overlap[pid] && sameCause(p, g) == sameCause(byID[pid], g) && id < pid) {
				pid = id
			}
		}
		parent, opened, err := s.writeParent(ctx, o, pid, byID[pid], g)
		if err != nil {
			return sum, err
		}
		switch {
		case opened:
			sum.Opened++
		case parent != byID[pid]:
			sum.Updated++
		}
		state := model.Reach(g.cause.CI.ID)
		for _, m := range g.members {
			kept[m.ID] = true
			if m.Open() {
				taken[parent.ID]++
			}
		}
		sum.Groups++
		err = each(g.members, func(m *itsm.Incident) error {
			if !m.Open() {
				return nil // a resolved child keeps what it was grouped with
			}
			want := grouping(parent.ID, g, m, state, o.Window, s.ITSM.Now())
			if m.Grouping.Same(want) {
				return nil
			}
			if _, err := s.ITSM.SetGrouping(ctx, m.ID, want); err != nil && !movedOn(err) {
				return fmt.Errorf("correlate: group incident %s under %s: %w", m.ID, parent.ID, err)
			}
			sum.Grouped++
			return nil
		})
		if err != nil {
			return sum, err
		}
	}
	for _, p := range parents {
		var out []*itsm.Incident
		for _, k := range children[p.ID] {
			if k.Open() && !kept[k.ID] {
				out = append(out, k)
			}
		}
		err := each(out, func(k *itsm.Incident) error {
			if _, err := s.ITSM.SetGrouping(ctx, k.ID, nil); err != nil && !movedOn(err) {
				return fmt.Errorf("correlate: move incident %s out of %s: %w", k.ID, p.ID, err)
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		sum.MovedOut += len(out)
		if taken[p.ID] > 0 {
			continue
		}
		note := fmt.Sprintf("Every incident of the group is resolved (%d).", len(children[p.ID]))
		if len(out) > 0 || len(children[p.ID]) == 0 {
			note = "The group dissolved: its incidents are no longer explained by one cause."
		}
		if err := s.resolve(ctx, p, note); err != nil {
			return sum, err
		}
		sum.Resolved++
	}
	return sum, nil
}

func sameCause(p *itsm.Incident, g group) bool {
	return p != nil && p.Correlation != nil && p.Correlation.CauseCI == g.cause.CI.ID
}

// movedOn reports a write refused because the incident moved on meanwhile
// (closed, or deleted): the next pass sees it as it is.
func movedOn(err error) bool {
	c := graph.ErrorCode(err)
	return c == graph.CodeNotFound || (c == graph.CodeInvalidInput && graph.ErrorField(err) == "id")
}

// each runs f over items, a few at a time (child writes are independent
// records), and returns the first error.
func each(items []*itsm.Incident, f func(*itsm.Incident) error) error {
	const workers = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	work := make(chan *itsm.Incident)
	for range min(workers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				if err := f(it); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	return first
}

// grouping is why m is in g: the affected CI of m nearest to the cause
// in the cause's blast radius, the path there, and when m opened.
func grouping(parentID string, g group, m *itsm.Incident, st impact.State, window time.Duration, now time.Time) *itsm.Grouping {
	out := &itsm.Grouping{ParentID: parentID, CauseCI: g.cause.CI.ID, Offset: m.OpenedAt.Sub(g.onset), Window: window, GroupedAt: now, Distance: -1}
	for _, ci := range m.AffectedCIs {
		d, ok := st.Distance[ci]
		if e := st.Effect[ci]; !ok || e == impact.Up {
			continue
		}
		if out.Distance < 0 || d < out.Distance {
			out.CI, out.Distance, out.Path, out.Effect = ci, d, st.PathTo(ci), st.Effect[ci].String()
		}
	}
	if out.Distance < 0 { // cannot happen: the ranking explained it by this radius
		out.Distance = 0
	}
	return out
}

// writeParent opens or updates the group's major incident. A new one's id
// derives from the cause and the group's first incident, so replicas
// running the same pass raise one; a resolved one with that id (the group
// fired again) is reopened.
func (s *Service) writeParent(ctx context.Context, o Options, pid string, cur *itsm.Incident, g group) (*itsm.Incident, bool, error) {
	in, err := s.majorInput(ctx, o, g)
	if err != nil {
		return nil, false, err
	}
	if cur != nil {
		if sameMajor(cur, in) {
			return cur, false, nil
		}
		p, err := s.ITSM.UpdateMajorIncident(ctx, pid, in)
		if err != nil {
			return nil, false, fmt.Errorf("correlate: update major incident %s: %w", pid, err)
		}
		return p, false, nil
	}
	id := majorID(g.cause.CI.ID, g.members[0].ID)
	p, err := s.ITSM.OpenMajorIncident(ctx, id, in)
	if err == nil {
		return p, true, nil
	}
	if graph.ErrorCode(err) != graph.CodeConflict || graph.ErrorField(err) != "id" {
		return nil, false, fmt.Errorf("correlate: open major incident: %w", err)
	}
	existing, err := s.ITSM.GetIncident(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("correlate: read major incident %s: %w", id, err)
	}
	switch existing.State {
	case itsm.IncidentClosed:
		// Closed for good: the group opens a new major incident.
		if p, err = s.ITSM.OpenMajorIncident(ctx, graph.NewID(), in); err != nil {
			return nil, false, fmt.Errorf("correlate: open major incident: %w", err)
		}
		return p, true, nil
	case itsm.IncidentResolved:
		if _, err := s.ITSM.TransitionIncident(ctx, id, itsm.IncidentInProgress, "Reopened: an incident of the group is open again."); err != nil {
			return nil, false, fmt.Errorf("correlate: reopen major incident %s: %w", id, err)
		}
	}
	if p, err = s.ITSM.UpdateMajorIncident(ctx, id, in); err != nil {
		return nil, false, fmt.Errorf("correlate: update major incident %s: %w", id, err)
	}
	return p, false, nil
}

// majorID is the id of the major incident a group with this cause and
// first incident opens.
func majorID(cause, first string) string {
	return uuid.NewSHA1(uuid.Must(uuid.Parse("6f0c8d7e-1b7a-4c54-9b1e-6a2f3c9d0e11")), []byte("major\x00"+cause+"\x00"+first)).String()
}

// majorInput is the major incident of g: titled by its cause, as urgent
// and impactful as its worst child, with the ranking's evidence.
func (s *Service) majorInput(ctx context.Context, o Options, g group) (itsm.MajorInput, error) {
	c := itsm.Correlation{CauseCI: g.cause.CI.ID, Score: math.Round(g.cause.Score*100) / 100, Evidence: g.cause.Evidence,
		Onset: g.onset, Window: o.Window, UpdatedAt: s.ITSM.Now()}
	if ch := suspectedChange(g.cause.Evidence); ch != nil {
		c.SuspectedChangeID = ch.ChangeID
	}
	in := itsm.MajorInput{Impact: 3, Urgency: 3, OpenedAt: g.onset, Correlation: c}
	for _, m := range g.members {
		in.Impact, in.Urgency = min(in.Impact, m.Impact), min(in.Urgency, m.Urgency)
	}
	in.Title = fmt.Sprintf("Major incident: %d incidents likely caused by %s", len(g.members), g.cause.CI.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "Correlation grouped %d incidents opened within %s of %s: one failure of %s (%s) explains them.\n",
		len(g.members), o.Window, g.onset.UTC().Format(time.RFC3339), g.cause.CI.Name, g.cause.CI.Class)
	if c.SuspectedChangeID != "" {
		title := c.SuspectedChangeID
		if ch, err := s.ITSM.GetChange(ctx, c.SuspectedChangeID); err == nil {
			title = fmt.Sprintf("%q (%s)", ch.Title, ch.ID)
		}
		fmt.Fprintf(&b, "Suspected change: %s.\n", title)
	}
	b.WriteString("Evidence:\n")
	for _, e := range g.cause.Evidence {
		fmt.Fprintf(&b, "- %s: %s\n", e.Kind, e.Detail)
	}
	in.Description = b.String()
	return in, nil
}

// suspectedChange is the change the ranking counts for the cause.
func suspectedChange(ev []rootcause.Evidence) *rootcause.Evidence {
	for i := range ev {
		if ev[i].Kind == rootcause.EvidenceChange && ev[i].ChangeID != "" && ev[i].Weight > 0 {
			return &ev[i]
		}
	}
	return nil
}

// sameMajor reports whether writing in would change what a reader of the
// major incident sees: its text, priority, cause, suspected change and the
// evidence's findings. Scores and evidence weights move a little with
// every incident anywhere (and with the clock): alone, they are not worth
// a write.
func sameMajor(cur *itsm.Incident, in itsm.MajorInput) bool {
	c, n := cur.Correlation, in.Correlation
	if c == nil || cur.Title != in.Title || cur.Description != in.Description || cur.Impact != in.Impact || cur.Urgency != in.Urgency ||
		c.CauseCI != n.CauseCI || c.SuspectedChangeID != n.SuspectedChangeID || !c.Onset.Equal(n.Onset) || c.Window != n.Window {
		return false
	}
	return slices.EqualFunc(c.Evidence, n.Evidence, func(a, b rootcause.Evidence) bool { return a.Kind == b.Kind && a.Detail == b.Detail })
}

// resolve resolves a major incident with a note (taking a NEW one in
// progress first, as incidents resolve from work in progress).
func (s *Service) resolve(ctx context.Context, inc *itsm.Incident, note string) error {
	if inc.State == itsm.IncidentNew {
		if _, err := s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentInProgress, "Taken by correlation to resolve it."); err != nil && !movedOn(err) && graph.ErrorField(err) != "state" {
			return fmt.Errorf("correlate: resolve %s: %w", inc.ID, err)
		}
	}
	if _, err := s.ITSM.TransitionIncident(ctx, inc.ID, itsm.IncidentResolved, note); err != nil && !movedOn(err) && graph.ErrorField(err) != "state" {
		return fmt.Errorf("correlate: resolve %s: %w", inc.ID, err)
	}
	return nil
}

// resolveChildren resolves the open children of a resolved major incident.
func (s *Service) resolveChildren(ctx context.Context, parent *itsm.Incident) error {
	kids, err := s.list(ctx, itsm.IncidentFilter{Parent: parent.ID, Open: true})
	if err != nil {
		return fmt.Errorf("correlate: children of %s: %w", parent.ID, err)
	}
	note := fmt.Sprintf("Resolved with its major incident %s.", parent.ID)
	if n := len(parent.Transitions); n > 0 && parent.Transitions[n-1].Note != "" {
		note += " " + parent.Transitions[n-1].Note
	}
	return each(kids, func(k *itsm.Incident) error { return s.resolve(ctx, k, note) })
}

// Explain says why an incident is in its group, naming CIs by name(id)
// (which returns the id itself for a CI it does not know).
func Explain(g *itsm.Grouping, name func(id string) string) string {
	names := make([]string, len(g.Path))
	for i, id := range g.Path {
		names[i] = name(id)
	}
	where := fmt.Sprintf("%s is in the blast radius of %s (%s) at distance %d via %s", name(g.CI), name(g.CauseCI), g.Effect, g.Distance, strings.Join(names, " → "))
	if g.Distance == 0 {
		where = fmt.Sprintf("%s is the likely cause itself", name(g.CI))
	}
	return fmt.Sprintf("%s; opened %s after the group's first incident, within its %s window.", where, roundDuration(g.Offset), roundDuration(g.Window))
}

func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Second).String(), "0s")
}
