package neo4j

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

// batchPlan replays a batch in Go over the state read from Neo4j at the
// start of the transaction, producing the rows to write. Doing the merge in
// Go keeps graph.MergeCI the single definition of upsert semantics and turns
// a 1,000-CI batch into a handful of UNWIND statements instead of thousands
// of round trips. It holds no driver types, so it is cheap to rebuild when
// the driver retries the transaction.
type batchPlan struct {
	cat      *graph.Catalogue
	batch    graph.Batch
	prefixed bool // Apply prefixes error fields with the batch item
	now      time.Time

	cis    map[string]*planCI // loaded from the database or created here
	owners map[string]string  // identifier key -> owning CI id
	// relsOf holds the stored relations of CIs whose class may change,
	// keyed by CI id; a key present with no relations means "loaded, none".
	relsOf map[string][]touchingRel
	// dbRels are the relations this batch looked up that exist in the
	// database, with their creation time (an unrelate audits it). Only
	// relations the batch also unrelates are looked up (checked); the
	// existence of the others is settled by the write that creates them.
	dbRels  map[graph.RelationKey]time.Time
	checked map[graph.RelationKey]bool

	dirty     []string // CI ids to write, in first-touched order
	newIdents []identRow
	relAdds   []relRow
	addIndex  map[graph.RelationKey]int // into relAdds; -1 once unrelated
	relDels   []relRow
	removed   map[graph.RelationKey]bool

	// audit lists the changes in the order the replay makes them, one per
	// upsert that changes a CI, relation created and relation removed: the
	// trail shows what each item of the batch did, as the embedded store's
	// does, even where a later item undoes an earlier one (a relation made
	// and removed in one batch is never written, but both are audited).
	audit []auditChange

	out batchOutcome
}

// planCI is one CI as the batch currently sees it.
type planCI struct {
	ci    graph.CI
	inDB  bool
	dirty bool
}

// touchingRel is a stored relation seen from one of its ends.
type touchingRel struct {
	typ        string
	outgoing   bool
	other      string
	otherClass string
}

type identRow struct {
	ci  string
	id  graph.Identifier
	key string
}

type relRow struct {
	key       graph.RelationKey
	typ       relType
	createdAt time.Time
	// audit indexes the relate's entry in batchPlan.audit, which
	// settleRelates drops if the write finds the relation existing.
	audit int
}

// upsertOutcome is what one upsert did.
type upsertOutcome struct {
	ci      graph.CI
	created bool
	changed bool
}

// batchOutcome is what a whole batch did.
type batchOutcome struct {
	upserts          []upsertOutcome
	relationsCreated int
	relationsRemoved int
}

func newBatchPlan(cat *graph.Catalogue, b graph.Batch, prefixed bool, now time.Time) *batchPlan {
	return &batchPlan{
		cat: cat, batch: b, prefixed: prefixed, now: now,
		cis:      map[string]*planCI{},
		owners:   map[string]string{},
		relsOf:   map[string][]touchingRel{},
		dbRels:   map[graph.RelationKey]time.Time{},
		checked:  map[graph.RelationKey]bool{},
		addIndex: map[graph.RelationKey]int{},
		removed:  map[graph.RelationKey]bool{},
	}
}

// field names a batch item for error messages: "upserts[3]" in Apply, ""
// for the single-item methods built on the same plan.
func (p *batchPlan) field(section string, i int) string {
	if !p.prefixed {
		return ""
	}
	return graph.FieldIndex(section, i)
}

// lookupKeys lists the CI ids and identifier keys the batch may need from
// the database. Malformed ids are skipped; the replay reports them in order.
func (p *batchPlan) lookupKeys() (ids, keys []string) {
	seenID, seenKey := map[string]bool{}, map[string]bool{}
	addID := func(id string) {
		if id != "" && !seenID[id] && graph.CheckID("id", id) == nil {
			seenID[id] = true
			ids = append(ids, id)
		}
	}
	addKey := func(id graph.Identifier) {
		k := identifierKey(graph.NormalizeIdentifier(id))
		if !seenKey[k] {
			seenKey[k] = true
			keys = append(keys, k)
		}
	}
	for _, in := range p.batch.Upserts {
		addID(in.ID)
		for _, id := range in.Identifiers {
			addKey(id)
		}
	}
	for _, list := range [][]graph.BatchRelation{p.batch.Relate, p.batch.Unrelate} {
		for _, r := range list {
			for _, ref := range []graph.CIRef{r.From, r.To} {
				addID(ref.ID)
				if ref.ID == "" && ref.Identifier != nil {
					addKey(*ref.Identifier)
				}
			}
		}
	}
	return ids, keys
}

// load records a CI read from the database. Its identifiers are registered
// as owned so that re-merging them never tries to create them again.
func (p *batchPlan) load(ci graph.CI) {
	p.cis[ci.ID] = &planCI{ci: ci, inDB: true}
	for _, id := range ci.Identifiers {
		p.owners[identifierKey(id)] = ci.ID
	}
}

// classChangeCandidates returns the loaded CIs that some upsert might move
// to another class; only their relations need re-checking, so an import that
// keeps classes stable costs no extra read.
func (p *batchPlan) classChangeCandidates() []string {
	classes := map[string]bool{}
	for _, in := range p.batch.Upserts {
		if in.Class != nil {
			classes[*in.Class] = true
		}
	}
	var ids []string
	for id, c := range p.cis {
		if len(classes) > 1 || (len(classes) == 1 && !classes[c.ci.Class]) {
			ids = append(ids, id)
			p.relsOf[id] = nil // loaded, possibly with no relations
		}
	}
	sort.Strings(ids)
	return ids
}

// upserts replays every upsert in order; the first error aborts the batch.
func (p *batchPlan) upserts() error {
	for i, in := range p.batch.Upserts {
		o, err := p.upsert(in)
		if err != nil {
			return withField(p.field("upserts", i), err)
		}
		p.out.upserts = append(p.out.upserts, o)
	}
	return nil
}

func (p *batchPlan) upsert(in graph.CIInput) (upsertOutcome, error) {
	if err := p.cat.ValidateCIInput(in); err != nil {
		return upsertOutcome{}, err
	}
	norm := make([]graph.Identifier, len(in.Identifiers))
	for i, id := range in.Identifiers {
		norm[i] = graph.NormalizeIdentifier(id)
	}
	existing, err := p.match(in, norm)
	if err != nil {
		return upsertOutcome{}, err
	}
	var prev *graph.CI
	if existing != nil {
		c := existing.ci
		prev = &c
	}
	if err := graph.CheckIdentifierMatch(in, prev); err != nil {
		return upsertOutcome{}, err
	}
	merged, changed, err := graph.MergeCI(prev, in, p.now)
	if err != nil {
		return upsertOutcome{}, err
	}
	if existing != nil && merged.Class != existing.ci.Class {
		if err := p.checkClassChange(merged.ID, merged.Class); err != nil {
			return upsertOutcome{}, err
		}
	}
	for j, id := range norm {
		if owner, ok := p.owners[identifierKey(id)]; ok && owner != merged.ID {
			return upsertOutcome{}, graph.Errorf(graph.CodeConflict, graph.FieldIndex("identifiers", j),
				"identifier %s=%s already belongs to CI %s", id.Kind, id.Value, owner)
		}
	}
	if changed {
		change, err := p.upsertChange(existing, merged)
		if err != nil {
			return upsertOutcome{}, err
		}
		p.audit = append(p.audit, change)
	}
	p.commit(existing, merged, changed)
	return upsertOutcome{ci: merged, created: existing == nil, changed: changed}, nil
}

// upsertChange audits an upsert that changed a CI: UPDATE from the state
// the batch saw (stored, or left by an earlier item), or CREATE.
func (p *batchPlan) upsertChange(existing *planCI, merged graph.CI) (auditChange, error) {
	if existing == nil {
		return ciChange(graph.ActionCreate, nil, &merged)
	}
	before := existing.ci
	return ciChange(graph.ActionUpdate, &before, &merged)
}

// match finds the CI an input updates: by id, else by identifiers; nil
// means the input creates a CI.
func (p *batchPlan) match(in graph.CIInput, norm []graph.Identifier) (*planCI, error) {
	if in.ID != "" {
		c := p.cis[in.ID]
		if c == nil {
			return nil, graph.NotFound("id", "CI", in.ID)
		}
		return c, nil
	}
	var owners []string
	seen := map[string]bool{}
	for _, id := range norm {
		if o, ok := p.owners[identifierKey(id)]; ok && !seen[o] {
			seen[o] = true
			owners = append(owners, o)
		}
	}
	switch len(owners) {
	case 0:
		return nil, nil
	case 1:
		c := p.cis[owners[0]]
		if c == nil {
			return nil, graph.Internal(nil, "identifier owner %s was not loaded", owners[0])
		}
		return c, nil
	}
	sort.Strings(owners)
	return nil, graph.Errorf(graph.CodeConflict, "identifiers",
		"the identifiers match several CIs: %s", strings.Join(owners, ", "))
}

// checkClassChange re-validates every stored relation of a CI against its
// new class, taking the other end's class as this batch has left it.
// Relations are checked in (type, from, to) order so the error names the
// same relation as the embedded store would; types the catalogue no longer
// knows constrain nothing.
func (p *batchPlan) checkClassChange(id, class string) error {
	c := p.cis[id]
	if !c.inDB {
		return nil // created in this batch: relations come later
	}
	rels, ok := p.relsOf[id]
	if !ok {
		return graph.Internal(nil, "relations of CI %s were not loaded before its class changed", id)
	}
	type check struct {
		key                graph.RelationKey
		fromClass, toClass string
	}
	checks := make([]check, 0, len(rels))
	for _, r := range rels {
		if _, known := p.cat.RelationType(r.typ); !known {
			continue
		}
		other := r.otherClass
		if oc := p.cis[r.other]; oc != nil {
			other = oc.ci.Class
		}
		ch := check{key: graph.RelationKey{From: id, Type: r.typ, To: r.other}, fromClass: class, toClass: other}
		if !r.outgoing {
			ch = check{key: graph.RelationKey{From: r.other, Type: r.typ, To: id}, fromClass: other, toClass: class}
		}
		checks = append(checks, ch)
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].key.Less(checks[j].key) })
	for _, ch := range checks {
		if err := p.cat.CheckRelation(ch.key.Type, ch.fromClass, ch.toClass); err != nil {
			return graph.Invalid("class", "class %s would break relation %s -%s-> %s: %s",
				class, ch.key.From, ch.key.Type, ch.key.To, errMessage(err))
		}
	}
	return nil
}

// commit makes an upsert's result visible to the rest of the batch.
func (p *batchPlan) commit(existing *planCI, merged graph.CI, changed bool) {
	c := existing
	if c == nil {
		c = &planCI{}
		p.cis[merged.ID] = c
	}
	if changed {
		c.ci = merged
		if !c.dirty {
			c.dirty = true
			p.dirty = append(p.dirty, merged.ID)
		}
	}
	for _, id := range merged.Identifiers {
		k := identifierKey(id)
		if _, ok := p.owners[k]; !ok {
			p.owners[k] = merged.ID
			p.newIdents = append(p.newIdents, identRow{ci: merged.ID, id: id, key: k})
		}
	}
}

// existenceQueries returns the (from, type, to) triples whose presence in
// the database the relation replay needs before writing: those the batch
// unrelates, with both ends already stored (relations touching CIs created
// in this batch cannot exist yet). A relate of anything else needs no
// read: its MERGE creates it or finds it (settleRelates), which spares a
// bulk load one read statement per type and batch.
func (p *batchPlan) existenceQueries() []graph.RelationKey {
	var keys []graph.RelationKey
	for _, r := range p.batch.Unrelate {
		from, ok1 := p.peek(r.From)
		to, ok2 := p.peek(r.To)
		if !ok1 || !ok2 || p.cat.CheckRelationType("type", r.Type) != nil {
			continue
		}
		if !p.cis[from].inDB || !p.cis[to].inDB {
			continue
		}
		k := graph.RelationKey{From: from, Type: r.Type, To: to}
		if !p.checked[k] {
			p.checked[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// peek resolves a reference without reporting errors.
func (p *batchPlan) peek(ref graph.CIRef) (string, bool) {
	id, err := p.resolve("", ref)
	return id, err == nil
}

// checkRef reports a reference that cannot name any CI, before lookups.
func checkRef(field string, ref graph.CIRef) error {
	if ref.ID != "" {
		return graph.CheckID(field, ref.ID)
	}
	if ref.Identifier == nil {
		return graph.Invalid(field, "a CI reference needs an id or an identifier")
	}
	return nil
}

// resolve turns a reference into the id of a CI the batch can see.
func (p *batchPlan) resolve(field string, ref graph.CIRef) (string, error) {
	if err := checkRef(field, ref); err != nil {
		return "", err
	}
	if ref.ID != "" {
		if p.cis[ref.ID] == nil {
			return "", graph.NotFound(field, "CI", ref.ID)
		}
		return ref.ID, nil
	}
	id := graph.NormalizeIdentifier(*ref.Identifier)
	owner, ok := p.owners[identifierKey(id)]
	if !ok {
		return "", graph.Errorf(graph.CodeNotFound, field, "no CI has identifier %s=%s", id.Kind, id.Value)
	}
	return owner, nil
}

// relations replays relates then unrelates, in order.
func (p *batchPlan) relations() error {
	for i, r := range p.batch.Relate {
		if err := p.relate(p.field("relate", i), r); err != nil {
			return err
		}
	}
	for i, r := range p.batch.Unrelate {
		if err := p.unrelate(p.field("unrelate", i), r); err != nil {
			return err
		}
	}
	return nil
}

// ends checks and resolves both ends and the type of a batch relation.
func (p *batchPlan) ends(prefix string, r graph.BatchRelation) (graph.RelationKey, relType, error) {
	fromField, toField, typeField := joinField(prefix, "from"), joinField(prefix, "to"), joinField(prefix, "type")
	if err := checkRef(fromField, r.From); err != nil {
		return graph.RelationKey{}, "", err
	}
	if err := checkRef(toField, r.To); err != nil {
		return graph.RelationKey{}, "", err
	}
	t, err := checkRelType(p.cat, typeField, r.Type)
	if err != nil {
		return graph.RelationKey{}, "", err
	}
	from, err := p.resolve(fromField, r.From)
	if err != nil {
		return graph.RelationKey{}, "", err
	}
	to, err := p.resolve(toField, r.To)
	if err != nil {
		return graph.RelationKey{}, "", err
	}
	return graph.RelationKey{From: from, Type: r.Type, To: to}, t, nil
}

func (p *batchPlan) relate(prefix string, r graph.BatchRelation) error {
	k, t, err := p.ends(prefix, r)
	if err != nil {
		return err
	}
	if k.From == k.To {
		return graph.Invalid(joinField(prefix, "to"), "a CI cannot relate to itself")
	}
	if err := p.cat.CheckRelation(k.Type, p.cis[k.From].ci.Class, p.cis[k.To].ci.Class); err != nil {
		return withField(prefix, err)
	}
	if p.relExists(k) {
		return nil
	}
	change, err := relationChange(graph.ActionRelate, graph.Relation{From: k.From, Type: k.Type, To: k.To, CreatedAt: p.now})
	if err != nil {
		return err
	}
	// Between stored CIs, a relation not looked up may exist (or have
	// been created since it was): the write will tell.
	p.addIndex[k] = len(p.relAdds)
	p.relAdds = append(p.relAdds, relRow{key: k, typ: t, createdAt: p.now, audit: len(p.audit)})
	p.audit = append(p.audit, change)
	p.out.relationsCreated++
	return nil
}

// settleRelates takes back the creation of the relates whose write found
// the relation existing (not looked up, or created by a concurrent writer
// since): no entry, no count. Audit entries are dropped by index, so
// settle before anything else appends to p.audit.
func (p *batchPlan) settleRelates(existed map[graph.RelationKey]bool) {
	if len(existed) == 0 {
		return
	}
	drop := map[int]bool{}
	for _, r := range p.relAdds {
		if existed[r.key] && p.addIndex[r.key] >= 0 {
			drop[r.audit] = true
			p.out.relationsCreated--
		}
	}
	kept := p.audit[:0]
	for i, c := range p.audit {
		if !drop[i] {
			kept = append(kept, c)
		}
	}
	p.audit = kept
}

func (p *batchPlan) unrelate(prefix string, r graph.BatchRelation) error {
	k, t, err := p.ends(prefix, r)
	if err != nil {
		return err
	}
	if i, ok := p.addIndex[k]; ok && i >= 0 {
		p.addIndex[k] = -1 // created earlier in this batch: never written
		p.out.relationsRemoved++
		return p.unrelateChange(k, p.now)
	}
	if created, ok := p.dbRels[k]; ok && !p.removed[k] {
		p.removed[k] = true
		p.relDels = append(p.relDels, relRow{key: k, typ: t, createdAt: created})
		p.out.relationsRemoved++
		return p.unrelateChange(k, created)
	}
	return nil
}

// unrelateChange audits the removal of a relation created at createdAt.
func (p *batchPlan) unrelateChange(k graph.RelationKey, createdAt time.Time) error {
	change, err := relationChange(graph.ActionUnrelate, graph.Relation{From: k.From, Type: k.Type, To: k.To, CreatedAt: createdAt})
	if err != nil {
		return err
	}
	p.audit = append(p.audit, change)
	return nil
}

func (p *batchPlan) relExists(k graph.RelationKey) bool {
	if i, ok := p.addIndex[k]; ok && i >= 0 {
		return true
	}
	_, ok := p.dbRels[k]
	return ok && !p.removed[k]
}

// joinField appends a sub-field to an item prefix that may be empty.
func joinField(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// errMessage returns a domain error's message without its field.
func errMessage(err error) string {
	var de *graph.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
