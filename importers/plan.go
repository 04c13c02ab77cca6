package importers

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// Plan is what a run changes, computed before anything is written: a dry
// run returns it, a real run applies exactly its batch.
type Plan struct {
	Source string `json:"source"`
	Scope  string `json:"scope"`
	// Generation is the scope's generation the plan was computed from; the
	// write is fenced on it.
	Generation int64 `json:"generation"`
	// Complete is false when some items or links could not be reconciled
	// (see Problems): such a run does not mark anything stale, because
	// what it missed may be what it failed to read. Unresolved links
	// (references to what the input does not hold) leave a run complete.
	Complete bool `json:"complete"`
	// Seen counts the CIs the source reported (after folding duplicates).
	Seen             int              `json:"seen"`
	Creates          []CIChange       `json:"creates"`
	Updates          []CIChange       `json:"updates"`
	Unchanged        int              `json:"unchanged"`
	NewRelations     []RelationChange `json:"newRelations"`
	RemovedRelations []RelationChange `json:"removedRelations"`
	// Stale lists CIs this scope reported before and not now, not yet
	// retired; Retired those that reached the policy's limit.
	Stale          []StaleCI `json:"stale"`
	Retired        []StaleCI `json:"retired"`
	StaleRelations int       `json:"staleRelations"`
	Problems       []Problem `json:"problems"`
	// Unresolved lists the links one end of which names no CI: neither
	// the input nor the store holds it. They are not problems: the run
	// still judges staleness.
	Unresolved []UnresolvedLink `json:"unresolved"`
	Impact     []ServiceImpact  `json:"impact"`

	// batch holds the run's creates, updates, relates and ledger write;
	// retire and batch.Unrelate apply staleness (see apply.go).
	batch  graph.Batch
	retire []graph.CIInput
}

// CIChange is a CI the plan creates or updates.
type CIChange struct {
	ID      string        `json:"id,omitempty"` // "" for a CI to create
	Name    string        `json:"name"`
	Class   string        `json:"class"`
	At      string        `json:"at,omitempty"`
	Changes []FieldChange `json:"changes,omitempty"`
}

// FieldChange is one field's old and new value. Fields use provenance keys
// ("owner", "attributes.nmap.ports") plus "identifiers".
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old,omitempty"`
	New   any    `json:"new,omitempty"`
}

// CIEnd names a CI in a plan; ID is "" for a CI the plan creates.
type CIEnd struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Class string `json:"class"`
}

// RelationChange is a relation the plan creates or removes.
type RelationChange struct {
	From CIEnd  `json:"from"`
	Type string `json:"type"`
	To   CIEnd  `json:"to"`
}

// StaleCI is a CI the scope no longer reports.
type StaleCI struct {
	CIEnd
	Missed   int       `json:"missed"`
	LastSeen time.Time `json:"lastSeen"`
	// SeenElsewhere is set when another scope still reports the CI, and
	// StatusOwnedBy names the source (or "manual") that set its status
	// with higher precedence: either keeps it from being retired.
	SeenElsewhere bool   `json:"seenElsewhere,omitempty"`
	StatusOwnedBy string `json:"statusOwnedBy,omitempty"`
}

// Problem codes.
const (
	ProblemAmbiguous  = "AMBIGUOUS"
	ProblemUnresolved = "UNRESOLVED"
	ProblemInvalid    = "INVALID"
	// ProblemTooStale: the run would newly mark more of the scope stale
	// than the policy allows (an empty scan of an unreachable network, a
	// dump of the wrong namespace): nothing is marked stale.
	ProblemTooStale = "TOO_STALE"
)

// Problem is an item or link the run could not reconcile; it is reported,
// never guessed.
type Problem struct {
	Code    string   `json:"code"`
	At      string   `json:"at,omitempty"`
	Field   string   `json:"field,omitempty"`
	Message string   `json:"message"`
	CIs     []string `json:"cis,omitempty"`
}

// UnresolvedLink is a link the run could not place because one end names
// no CI: a reference to an object of a kind the input does not contain
// (a Pod's PersistentVolumeClaim in `kubectl get pods`) that no CI in the
// store has either. A later run that reports that CI resolves it.
type UnresolvedLink struct {
	At       string            `json:"at,omitempty"`
	From     graph.Identifier  `json:"from"`
	Type     string            `json:"type"`
	To       graph.Identifier  `json:"to"`
	Fallback *graph.Identifier `json:"fallback,omitempty"`
	// End is the end that names no CI: "from" or "to".
	End string `json:"end"`
}

// ServiceImpact is a service whose set of upstream dependencies the plan
// changes.
type ServiceImpact struct {
	Service CIEnd   `json:"service"`
	Gained  []CIEnd `json:"gained"`
	Lost    []CIEnd `json:"lost"`
}

// lookupChunk bounds each bulk store read.
const lookupChunk = 5000

// planner computes one plan. It reads the store but never writes.
type planner struct {
	store  graph.Store
	cat    *graph.Catalogue
	policy Policy
	key    graph.ScopeKey
	now    time.Time
	col    *collector

	plan *Plan
	// owners maps every identifier of interest to the CI owning it.
	owners map[graph.Identifier]string
	// match[i] is the CI item i updates ("" = create); skip[i] marks items
	// with a problem.
	match    []string
	skip     []bool
	existing map[string]graph.CI
	refs     []graph.CIRef
	// seenRels holds the existing relations the run reported.
	seenRels map[graph.RelationKey]bool
	// seenUpserted are the refs of the CIs in batch.Upserts, in its order;
	// seenUnchanged those of the CIs the run saw unchanged.
	seenUpserted, seenUnchanged []graph.CIRef
	// current holds the subjects whose sighting in the scope was current
	// (missed 0) before the run, once staleness has judged every other
	// one (judged): the ledger write sees them again with one stamp
	// (LedgerWrite.SeenCurrent) instead of naming each.
	judged      bool
	currentCIs  map[string]bool
	currentRels map[graph.RelationKey]bool
	// prev delivers the scope's sightings, read while the plan is made.
	prev <-chan scopeSightings
}

// scopeSightings is the result of reading a scope's sightings.
type scopeSightings struct {
	list []graph.Sighting
	err  error
}

// readSightings starts reading the scope's sightings, which depend on
// nothing else the planner reads: staleness needs them last, and reading
// them meanwhile takes the longest read of a re-import off its path.
func (p *planner) readSightings(ctx context.Context) {
	ch := make(chan scopeSightings, 1)
	p.prev = ch
	go func() {
		list, err := p.store.Sightings(ctx, p.key)
		ch <- scopeSightings{list, err}
	}()
}

func (p *planner) run(ctx context.Context) (*Plan, error) {
	st, err := p.store.Scope(ctx, p.key)
	if err != nil {
		return nil, fmt.Errorf("read scope: %w", err)
	}
	p.plan = &Plan{Source: p.key.Source, Scope: p.key.Scope, Generation: st.Generation, Complete: true}
	p.readSightings(ctx)
	if err := p.lookup(ctx); err != nil {
		return nil, err
	}
	if err := p.identify(ctx); err != nil {
		return nil, err
	}
	if err := p.reconcile(); err != nil {
		return nil, err
	}
	newRels, err := p.relations(ctx)
	if err != nil {
		return nil, err
	}
	ledger := &graph.LedgerWrite{ScopeKey: p.key, ExpectGeneration: st.Generation, At: p.now}
	// A run with problems may not have seen what it failed to reconcile,
	// so only a clean run judges staleness (which may itself refuse, with
	// a TOO_STALE problem).
	if len(p.plan.Problems) == 0 {
		if err := p.staleness(ctx, ledger); err != nil {
			return nil, err
		}
	}
	p.plan.Complete = len(p.plan.Problems) == 0
	p.seen(ledger, newRels)
	p.plan.batch.Ledger = ledger
	impact, err := p.impactDelta(ctx, newRels.added)
	if err != nil {
		return nil, fmt.Errorf("impact delta: %w", err)
	}
	p.plan.Impact = impact
	return p.plan, nil
}

// seen fills the ledger's sightings, in the order of the writes they
// follow (see splitPlan): those of the upserts and new relations, then of
// what the run saw unchanged. A run that judged staleness named every
// subject it did not see, so it sees the current ones again with one
// stamp and names only those whose sighting is missing or stale.
func (p *planner) seen(ledger *graph.LedgerWrite, rels relationsResult) {
	unchanged, existing := p.seenUnchanged, rels.existing
	if p.judged && p.plan.Complete {
		ledger.SeenCurrent = true
		unchanged = slices.DeleteFunc(slices.Clone(unchanged), func(r graph.CIRef) bool { return p.currentCIs[r.ID] })
		existing = nil
		for i, r := range rels.existing {
			if !p.currentRels[rels.existingKeys[i]] {
				existing = append(existing, r)
			}
		}
	}
	ledger.SeenCIs = append(slices.Clip(p.seenUpserted), unchanged...)
	ledger.SeenRelations = append(slices.Clip(rels.seen), existing...)
}

// lookup finds the owners of every identifier the run mentions.
func (p *planner) lookup(ctx context.Context) error {
	// Items own distinct identifiers (the collector folds duplicates);
	// link ends outside the run repeat, so they are deduplicated.
	var ids []graph.Identifier
	for _, it := range p.col.items {
		ids = append(ids, it.Identifiers...)
	}
	outside := map[graph.Identifier]bool{}
	for _, l := range p.col.links {
		for _, id := range linkEnds(l) {
			if _, ok := p.col.owner[id]; !ok && !outside[id] {
				outside[id] = true
				ids = append(ids, id)
			}
		}
	}
	p.owners = make(map[graph.Identifier]string, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		got, err := p.store.LookupIdentifiers(ctx, ids[start:min(start+lookupChunk, len(ids))])
		if err != nil {
			return fmt.Errorf("look up identifiers: %w", err)
		}
		maps.Copy(p.owners, got)
	}
	return nil
}

func (p *planner) problem(code, at, field, format string, args ...any) *Problem {
	p.plan.Problems = append(p.plan.Problems, Problem{Code: code, At: clip(at), Field: clip(field), Message: clip(fmt.Sprintf(format, args...))})
	return &p.plan.Problems[len(p.plan.Problems)-1]
}

// identify matches every item to an existing CI, a new one, or a problem.
func (p *planner) identify(ctx context.Context) error {
	items := p.col.items
	p.match = make([]string, len(items))
	p.skip = make([]bool, len(items))
	// Every CI owning an identifier of the run, read up front: matching
	// checks the candidate's other identifiers (see Policy.Exclusive).
	owners := make([]string, 0, len(p.owners))
	seen := map[string]bool{}
	for _, id := range p.owners {
		if !seen[id] {
			seen[id] = true
			owners = append(owners, id)
		}
	}
	var err error
	if p.existing, err = p.cisByIDs(ctx, owners); err != nil {
		return err
	}
	claimedBy := map[string]int{}
	for i, it := range items {
		ci, prob := p.identifyItem(it)
		if prob != nil {
			p.skip[i] = true
			continue
		}
		if ci != "" {
			if j, ok := claimedBy[ci]; ok {
				pr := p.problem(ProblemAmbiguous, it.At, "identifiers",
					"%s identifies the same CI as the item at %s; not merged", describe(*it), items[j].At)
				pr.CIs = []string{ci}
				p.skip[i] = true
				continue
			}
			claimedBy[ci] = i
		}
		p.match[i] = ci
	}
	return nil
}

func (p *planner) cisByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	out := make(map[string]graph.CI, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		got, err := p.store.CIsByIDs(ctx, ids[start:min(start+lookupChunk, len(ids))])
		if err != nil {
			return nil, fmt.Errorf("read CIs: %w", err)
		}
		maps.Copy(out, got)
	}
	return out, nil
}

// identifyItem applies the class's identification rules in order. A rule
// matches when the item has every kind it names and one CI owns the item's
// values of all of them. Whatever matches, an identifier of the item owned
// by another CI makes the item ambiguous: merging would steal it.
func (p *planner) identifyItem(it *Item) (string, *Problem) {
	held := map[string][]graph.Identifier{}
	byKind := map[string][]string{} // kind → owners of the item's values
	for _, id := range it.Identifiers {
		if ci, ok := p.owners[id]; ok {
			held[ci] = append(held[ci], id)
			byKind[id.Kind] = append(byKind[id.Kind], ci)
		}
	}
	if len(held) == 0 {
		return "", nil
	}
	match := ""
	matchedBy := -1 // the index of the rule that matched; -1 for none
	rules, hasRules := p.policy.Identification[it.Class]
	switch m := FirstRule(rules, func(int) map[string][]string { return byKind }); {
	case len(m.CIs) == 1:
		match, matchedBy = m.CIs[0], m.Rule
	case len(m.CIs) > 1:
		pr := p.problem(ProblemAmbiguous, it.At, "identifiers", "%s: rule %s points at %d different CIs", describe(*it), strings.Join(rules[m.Rule], "+"), len(m.CIs))
		pr.CIs = m.CIs
		return "", pr
	}
	if match == "" && !hasRules && len(held) == 1 {
		for ci := range held {
			match = ci
		}
	}
	if match == "" {
		cis := slices.Sorted(maps.Keys(held))
		pr := p.problem(ProblemAmbiguous, it.At, "identifiers",
			"%s: its identifiers belong to %s but no identification rule of class %s matches: not guessed",
			describe(*it), describeHeld(held), it.Class)
		pr.CIs = cis
		return "", pr
	}
	if pr := p.contradicts(it, match, rules, matchedBy); pr != nil {
		return "", pr
	}
	if len(held) > 1 {
		others := maps.Clone(held)
		delete(others, match)
		pr := p.problem(ProblemAmbiguous, it.At, "identifiers",
			"%s matches CI %s, but %s: merging would take identifiers from another CI",
			describe(*it), match, describeHeld(others))
		pr.CIs = append([]string{match}, slices.Sorted(maps.Keys(others))...)
		return "", pr
	}
	return match, nil
}

// contradicts reports an item whose value of an exclusive kind differs
// from the matched CI's, when the rule that matched is weaker than the
// kind's own rule: a VM matched by its IP whose cloud instance differs is
// another machine on a reused address, while one matched by its Terraform
// address (a rule ranked above the instance's) is the same resource,
// replaced. An exclusive kind the class's rules do not name is always
// checked.
func (p *planner) contradicts(it *Item, match string, rules [][]string, matchedBy int) *Problem {
	ci, ok := p.existing[match]
	if !ok {
		return nil
	}
	for _, kind := range p.policy.Exclusive {
		if own := ruleOf(rules, kind); matchedBy >= 0 && own >= 0 && matchedBy < own {
			continue
		}
		var mine, theirs []string
		for _, id := range it.Identifiers {
			if id.Kind == kind {
				mine = append(mine, id.Value)
			}
		}
		for _, id := range ci.Identifiers {
			if id.Kind == kind {
				theirs = append(theirs, id.Value)
			}
		}
		if len(mine) == 0 || len(theirs) == 0 || slices.ContainsFunc(mine, func(v string) bool { return slices.Contains(theirs, v) }) {
			continue
		}
		pr := p.problem(ProblemAmbiguous, it.At, "identifiers",
			"%s matches CI %s %q by other identifiers, but its %s is %s and the CI's is %s: a different CI (a reused address?), not merged",
			describe(*it), ci.ID, ci.Name, kind, strings.Join(mine, ", "), strings.Join(theirs, ", "))
		pr.CIs = []string{ci.ID}
		return pr
	}
	return nil
}

// ruleOf returns the index of the first rule naming kind, -1 for none.
func ruleOf(rules [][]string, kind string) int {
	for i, rule := range rules {
		if slices.Contains(rule, kind) {
			return i
		}
	}
	return -1
}

func describeHeld(held map[string][]graph.Identifier) string {
	var parts []string
	for _, ci := range slices.Sorted(maps.Keys(held)) {
		var ids []string
		for _, id := range held[ci] {
			ids = append(ids, id.Kind+":"+id.Value)
		}
		parts = append(parts, fmt.Sprintf("CI %s (%s)", ci, strings.Join(ids, ", ")))
	}
	return strings.Join(parts, " and ")
}

// reconcile turns each identified item into an upsert that respects source
// precedence, and records the field-level diff.
func (p *planner) reconcile() error {
	src, scope := p.key.Source, p.key.Scope
	p.refs = make([]graph.CIRef, len(p.col.items))
	for i, it := range p.col.items {
		if p.skip[i] {
			continue
		}
		p.plan.Seen++
		in := graph.CIInput{Source: src, Scope: scope, Identifiers: it.Identifiers}
		var cur *graph.CI
		if id := p.match[i]; id != "" {
			c, ok := p.existing[id]
			if !ok {
				// Deleted between lookup and read: plan a create instead.
				p.match[i] = ""
			} else {
				cur = &c
			}
		}
		if cur == nil {
			in.Name, in.Class = ptr(it.Name), ptr(it.Class)
			if it.Owner != "" {
				in.Owner = ptr(it.Owner)
			}
			if it.Environment != "" {
				in.Environment = ptr(it.Environment)
			}
			if it.Attributes != nil {
				in.Attributes = it.Attributes
			}
			first := it.Identifiers[0]
			p.refs[i] = graph.CIRef{Identifier: &first}
		} else {
			in.ID = cur.ID
			p.refs[i] = graph.CIRef{ID: cur.ID}
			p.reconcileFields(cur, it, &in)
		}
		merged, changed, err := graph.MergeCI(cur, in, p.now)
		if err != nil {
			return &InputError{At: it.At, Field: graph.ErrorField(err), Message: fmt.Sprintf("%s: %s", describe(*it), graph.ErrorMessage(err))}
		}
		switch {
		case cur == nil:
			p.plan.Creates = append(p.plan.Creates, CIChange{Name: merged.Name, Class: merged.Class, At: it.At})
			p.plan.batch.Upserts = append(p.plan.batch.Upserts, in)
			p.seenUpserted = append(p.seenUpserted, p.refs[i])
		case changed:
			p.plan.Updates = append(p.plan.Updates, CIChange{ID: cur.ID, Name: merged.Name, Class: merged.Class, At: it.At,
				Changes: diffCI(*cur, merged)})
			p.plan.batch.Upserts = append(p.plan.batch.Upserts, in)
			p.seenUpserted = append(p.seenUpserted, p.refs[i])
		default:
			p.plan.Unchanged++
			p.seenUnchanged = append(p.seenUnchanged, p.refs[i])
		}
	}
	return nil
}

// reconcileFields sets on in the fields the item may change on cur.
func (p *planner) reconcileFields(cur *graph.CI, it *Item, in *graph.CIInput) {
	prec, src := p.policy.Precedence, p.key.Source
	may := func(field string, empty bool) bool {
		return empty || prec.MayOverwrite(field, src, cur.Provenance[field].Source)
	}
	if it.Name != cur.Name && may(graph.FieldName, false) {
		in.Name = ptr(it.Name)
	}
	if it.Class != cur.Class && slices.Contains(refinements[cur.Class], it.Class) {
		in.Class = ptr(it.Class)
	}
	if it.Owner != "" && it.Owner != cur.Owner && may(graph.FieldOwner, cur.Owner == "") {
		in.Owner = ptr(it.Owner)
	}
	if it.Environment != "" && it.Environment != cur.Environment && may(graph.FieldEnvironment, cur.Environment == "") {
		in.Environment = ptr(it.Environment)
	}
	// A CI this source retired comes back into service when seen again;
	// one a person retired stays retired.
	if cur.Status == graph.StatusRetired && cur.Provenance[graph.FieldStatus].Source == src {
		in.Status = ptr(graph.StatusInService)
	}
	attrs := maps.Clone(cur.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	for k, v := range it.Attributes {
		_, had := cur.Attributes[k]
		if may(graph.AttributeField(k), !had) {
			attrs[k] = v
		}
	}
	// Attributes this source set in this scope and no longer reports are
	// gone from the source (a port closed, a label removed).
	for k := range cur.Attributes {
		o := cur.Provenance[graph.AttributeField(k)]
		if _, still := it.Attributes[k]; !still && o.Source == src && o.Scope == p.key.Scope {
			delete(attrs, k)
		}
	}
	if !sameAttributes(attrs, cur.Attributes) {
		in.Attributes = attrs
	}
}

// refinements lists, per generic class, the specific classes a source may
// turn a CI of that class into. A CI otherwise keeps the class it was
// created with, whichever source identifies it later: identifiers say
// which CI an item is, not what it is. But Server is what a scanner calls
// any host, and CloudResource what a state calls any resource, so a
// source that knows better refines them: the host nmap found is a
// VirtualMachine once Terraform or a Kubernetes node's cloud provider
// reports it, and a CloudResource imported before Terraform types were
// mapped becomes the Database or LoadBalancer it is.
var refinements = map[string][]string{
	graph.ClassServer: {graph.ClassVirtualMachine},
	graph.ClassCloudResource: {graph.ClassVirtualMachine, graph.ClassDatabase, graph.ClassLoadBalancer,
		graph.ClassStorageVolume, graph.ClassKubernetesCluster},
}

// sameAttributes compares attribute objects; both sides hold JSON values
// (the collector normalizes what parsers report).
func sameAttributes(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func diffCI(old, cur graph.CI) []FieldChange {
	var out []FieldChange
	add := func(field string, o, n any) {
		if !reflect.DeepEqual(o, n) {
			out = append(out, FieldChange{Field: field, Old: o, New: n})
		}
	}
	add(graph.FieldName, old.Name, cur.Name)
	add("class", old.Class, cur.Class)
	add(graph.FieldStatus, string(old.Status), string(cur.Status))
	add(graph.FieldCriticality, string(old.Criticality), string(cur.Criticality))
	add(graph.FieldEnvironment, old.Environment, cur.Environment)
	add(graph.FieldOwner, old.Owner, cur.Owner)
	keys := slices.Sorted(maps.Keys(cur.Attributes))
	for k := range old.Attributes {
		if _, ok := cur.Attributes[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range slices.Compact(keys) {
		add(graph.AttributeField(k), old.Attributes[k], cur.Attributes[k])
	}
	if len(cur.Identifiers) != len(old.Identifiers) {
		var added []string
		for _, id := range cur.Identifiers[len(old.Identifiers):] {
			added = append(added, id.Kind+":"+id.Value)
		}
		out = append(out, FieldChange{Field: "identifiers", New: added})
	}
	return out
}

func ptr[T any](v T) *T { return &v }
