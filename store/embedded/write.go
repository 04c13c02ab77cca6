package embedded

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
)

// UpsertCI creates or updates one CI; see graph.CIInput for the rules.
func (s *Store) UpsertCI(ctx context.Context, in graph.CIInput) (graph.UpsertResult, error) {
	var res graph.UpsertResult
	err := s.write(ctx, func(t *txn) error {
		var err error
		res, err = t.upsert(in)
		return err
	})
	if err != nil {
		return graph.UpsertResult{}, err
	}
	res.CI = cloneCI(&res.CI)
	return res, nil
}

// Apply runs the batch's upserts, relates and unrelates in that order, then
// its ledger write, in one transaction. Errors name the failing item
// ("relate[2].to", "ledger.seenCIs[0]").
func (s *Store) Apply(ctx context.Context, b graph.Batch) (graph.BatchResult, error) {
	if b.Ledger != nil {
		if err := graph.ValidateLedgerWrite(b.Ledger); err != nil {
			return graph.BatchResult{}, err
		}
	}
	var res graph.BatchResult
	err := s.write(ctx, func(t *txn) error {
		if b.Ledger != nil {
			if err := t.checkFence(b.Ledger); err != nil {
				return err
			}
		}
		res = graph.BatchResult{CIs: make([]graph.CI, 0, len(b.Upserts))}
		t.reserve(len(b.Upserts), len(b.Relate)+len(b.Unrelate))
		for i, in := range b.Upserts {
			r, err := t.upsert(in)
			if err != nil {
				return prefixField(fmt.Sprintf("upserts[%d]", i), err)
			}
			res.CIs = append(res.CIs, r.CI)
			switch {
			case r.Created:
				res.Created++
			case r.Changed:
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		for i, br := range b.Relate {
			k, err := t.batchKey(br)
			if err == nil && k.From == k.To {
				err = selfRelation()
			}
			var created bool
			if err == nil {
				_, created, err = t.relate(k)
			}
			if err != nil {
				return prefixField(fmt.Sprintf("relate[%d]", i), err)
			}
			if created {
				res.RelationsCreated++
			}
		}
		for i, br := range b.Unrelate {
			k, err := t.batchKey(br)
			var removed bool
			if err == nil {
				removed, err = t.unrelate(k)
			}
			if err != nil {
				return prefixField(fmt.Sprintf("unrelate[%d]", i), err)
			}
			if removed {
				res.RelationsRemoved++
			}
		}
		if b.Ledger != nil {
			return t.applyLedger(b.Ledger)
		}
		return nil
	})
	if err != nil {
		return graph.BatchResult{}, err
	}
	for i := range res.CIs {
		res.CIs[i] = cloneCI(&res.CIs[i])
	}
	return res, nil
}

// DeleteCI removes a CI with its relations and identifiers, unless
// records hold it.
func (s *Store) DeleteCI(ctx context.Context, id string) error {
	_, err := s.deleteCI(ctx, id, false)
	return err
}

// ForceDeleteCI removes a CI whatever holds it and returns the holders.
func (s *Store) ForceDeleteCI(ctx context.Context, id string) ([]graph.Holder, error) {
	return s.deleteCI(ctx, id, true)
}

func (s *Store) deleteCI(ctx context.Context, id string, force bool) ([]graph.Holder, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	var holders []graph.Holder
	err := s.write(ctx, func(t *txn) error {
		var err error
		holders, err = t.deleteCI(id, force)
		return err
	})
	if err != nil {
		return nil, err
	}
	return holders, nil
}

// Relate creates from -typ-> to, or returns the relation if it exists.
func (s *Store) Relate(ctx context.Context, from, typ, to string) (graph.Relation, error) {
	if err := checkRelationArgs(s.cat, from, typ, to); err != nil {
		return graph.Relation{}, err
	}
	if from == to {
		return graph.Relation{}, selfRelation()
	}
	var rel graph.Relation
	err := s.write(ctx, func(t *txn) error {
		var err error
		rel, _, err = t.relate(graph.RelationKey{From: from, Type: typ, To: to})
		return err
	})
	if err != nil {
		return graph.Relation{}, err
	}
	return rel, nil
}

// Unrelate removes from -typ-> to and reports whether it existed. Missing
// CIs are not an error: the relation simply does not exist.
func (s *Store) Unrelate(ctx context.Context, from, typ, to string) (bool, error) {
	if err := checkRelationArgs(s.cat, from, typ, to); err != nil {
		return false, err
	}
	var removed bool
	err := s.write(ctx, func(t *txn) error {
		var err error
		removed, err = t.unrelate(graph.RelationKey{From: from, Type: typ, To: to})
		return err
	})
	if err != nil {
		return false, err
	}
	return removed, nil
}

func checkRelationArgs(cat *graph.Catalogue, from, typ, to string) error {
	if err := graph.CheckID("from", from); err != nil {
		return err
	}
	if err := graph.CheckID("to", to); err != nil {
		return err
	}
	return cat.CheckRelationType("type", typ)
}

func selfRelation() error { return graph.Invalid("to", "a CI cannot relate to itself") }

// upsert stages one CIInput. Field names in its errors are relative to the
// input; Apply prefixes them.
func (t *txn) upsert(in graph.CIInput) (graph.UpsertResult, error) {
	if err := t.cat.ValidateCIInput(in); err != nil {
		return graph.UpsertResult{}, err
	}
	existing, before, err := t.match(in)
	if err != nil {
		return graph.UpsertResult{}, err
	}
	if err := graph.CheckIdentifierMatch(in, existing); err != nil {
		return graph.UpsertResult{}, err
	}
	merged, changed, err := graph.MergeCI(existing, in, t.now)
	if err != nil {
		return graph.UpsertResult{}, err
	}
	if existing != nil && merged.Class != existing.Class {
		if err := t.checkClassChange(&merged); err != nil {
			return graph.UpsertResult{}, err
		}
	}
	if err := t.checkIdentifiers(&merged, in); err != nil {
		return graph.UpsertResult{}, err
	}
	if changed {
		stored := merged
		after, err := encodeCI(&stored)
		if err != nil {
			return graph.UpsertResult{}, graph.Internal(err, "cannot encode CI %s", stored.ID)
		}
		action := graph.ActionCreate
		if existing != nil {
			action = graph.ActionUpdate
		}
		t.putCI(&stored, after)
		t.logCI(action, stored.ID, before, after)
	}
	return graph.UpsertResult{CI: merged, Created: existing == nil, Changed: changed}, nil
}

// match finds the CI an input updates, with its JSON: by id, else by the
// owners of its identifiers; nil means the input creates a CI.
func (t *txn) match(in graph.CIInput) (*graph.CI, []byte, error) {
	if in.ID != "" {
		ci, enc, err := t.get(in.ID)
		if err == nil && ci == nil {
			err = graph.NotFound("id", "CI", in.ID)
		}
		return ci, enc, err
	}
	var owners []string
	for _, raw := range in.Identifiers {
		if owner := t.identOwner(graph.NormalizeIdentifier(raw)); owner != "" && !containsString(owners, owner) {
			owners = append(owners, owner)
		}
	}
	switch len(owners) {
	case 0:
		return nil, nil, nil
	case 1:
		ci, enc, err := t.get(owners[0])
		if err == nil && ci == nil {
			err = graph.Internal(fmt.Errorf("identifier owner %s has no CI", owners[0]), "identifier index is inconsistent")
		}
		return ci, enc, err
	default:
		sort.Strings(owners)
		return nil, nil, graph.Errorf(graph.CodeConflict, "identifiers",
			"the identifiers match several CIs (%s); update them one by one by id", strings.Join(owners, ", "))
	}
}

// checkClassChange refuses a class that would make one of the CI's
// relations invalid under the catalogue.
func (t *txn) checkClassChange(ci *graph.CI) error {
	rels := t.relationsOf(ci.ID)
	sort.Slice(rels, func(i, j int) bool { return rels[i].Key().Less(rels[j].Key()) })
	for _, r := range rels {
		if _, known := t.cat.RelationType(r.Type); !known {
			continue // a type the catalogue dropped constrains nothing
		}
		if err := t.cat.CheckRelation(r.Type, t.classOrSelf(r.From, ci), t.classOrSelf(r.To, ci)); err != nil {
			return graph.Invalid("class", "class %s would break relation %s -%s-> %s: %s",
				ci.Class, r.From, r.Type, r.To, message(err))
		}
	}
	return nil
}

func (t *txn) classOrSelf(id string, self *graph.CI) string {
	if id == self.ID {
		return self.Class
	}
	return t.classOf(id)
}

// checkIdentifiers refuses identifiers owned by another CI, naming the
// offending position in the input.
func (t *txn) checkIdentifiers(ci *graph.CI, in graph.CIInput) error {
	for _, id := range ci.Identifiers {
		owner := t.identOwner(id)
		if owner == "" || owner == ci.ID {
			continue
		}
		field := "identifiers"
		for i, raw := range in.Identifiers {
			if graph.NormalizeIdentifier(raw) == id {
				field = fmt.Sprintf("identifiers[%d]", i)
				break
			}
		}
		return graph.Errorf(graph.CodeConflict, field, "identifier %s=%s already belongs to CI %s", id.Kind, id.Value, owner)
	}
	return nil
}

// deleteCI stages the removal of a CI unless (without force) records hold
// it; it returns the holders. Writers are serialised, so nothing can come
// to hold the CI between this check and the commit.
func (t *txn) deleteCI(id string, force bool) ([]graph.Holder, error) {
	ci, before, err := t.get(id)
	if err != nil {
		return nil, err
	}
	if ci == nil {
		return nil, graph.NotFound("id", "CI", id)
	}
	holders := t.holders(id)
	if len(holders) > 0 && !force {
		return nil, graph.HeldError(*ci, holders)
	}
	// The relations go first, each audited, so that both ends' histories
	// show them going; sorted so that the trail does not depend on map
	// order.
	rels := t.relationsOf(id)
	sort.Slice(rels, func(i, j int) bool { return rels[i].Key().Less(rels[j].Key()) })
	for _, r := range rels {
		if t.removeRelation(r.Key()) {
			if err := t.logRelation(graph.ActionUnrelate, r); err != nil {
				return nil, err
			}
		}
	}
	for _, ident := range ci.Identifiers {
		if t.identOwner(ident) == id {
			t.idents[ident] = ""
		}
	}
	t.cis[id] = nil
	delete(t.enc, id)
	t.dropCISightings(id)
	t.logCI(graph.ActionDelete, id, before, nil)
	return holders, nil
}

// holders lists the records that link the CI and hold it. The committed
// index names every candidate: a delete stages no record before this.
func (t *txn) holders(id string) []graph.Holder {
	var out []graph.Holder
	for kind := range graph.HoldingRule() {
		ix := t.m.recIdx[kind]
		if ix == nil || ix.byCI[id] == nil {
			continue
		}
		ix.byCI[id].Scan(func(committed *graph.Record) bool {
			if r, ok := t.record(kind, committed.ID); ok && linksTo(r, id) && graph.HoldsCIs(kind, r.State) {
				out = append(out, graph.HolderOf(*r))
			}
			return true
		})
	}
	return out
}

// unrelate stages the removal of k, audited, and reports whether it
// existed.
func (t *txn) unrelate(k graph.RelationKey) (bool, error) {
	r, ok := t.relation(k)
	if !ok {
		return false, nil
	}
	t.removeRelation(k)
	return true, t.logRelation(graph.ActionUnrelate, r)
}

// relate stages k unless it exists, reporting whether it was created. The
// ids and type are already syntactically valid.
func (t *txn) relate(k graph.RelationKey) (graph.Relation, bool, error) {
	from := t.classOf(k.From)
	if from == "" {
		return graph.Relation{}, false, graph.NotFound("from", "CI", k.From)
	}
	to := t.classOf(k.To)
	if to == "" {
		return graph.Relation{}, false, graph.NotFound("to", "CI", k.To)
	}
	if err := t.cat.CheckRelation(k.Type, from, to); err != nil {
		return graph.Relation{}, false, err
	}
	if r, ok := t.relation(k); ok {
		return r, false, nil
	}
	r := graph.Relation{From: k.From, Type: k.Type, To: k.To, CreatedAt: t.now}
	if err := t.logRelation(graph.ActionRelate, r); err != nil {
		return graph.Relation{}, false, err
	}
	t.addRelation(r)
	return r, true, nil
}

// batchKey resolves a batch relation to a key, checking in the same order
// as Relate: reference syntax, then type, then existence.
func (t *txn) batchKey(br graph.BatchRelation) (graph.RelationKey, error) {
	if err := checkRef("from", br.From); err != nil {
		return graph.RelationKey{}, err
	}
	if err := checkRef("to", br.To); err != nil {
		return graph.RelationKey{}, err
	}
	if err := t.cat.CheckRelationType("type", br.Type); err != nil {
		return graph.RelationKey{}, err
	}
	from, err := t.resolve("from", br.From)
	if err != nil {
		return graph.RelationKey{}, err
	}
	to, err := t.resolve("to", br.To)
	if err != nil {
		return graph.RelationKey{}, err
	}
	return graph.RelationKey{From: from, Type: br.Type, To: to}, nil
}

func checkRef(field string, ref graph.CIRef) error {
	switch {
	case ref.ID != "":
		return graph.CheckID(field, ref.ID)
	case ref.Identifier == nil:
		return graph.Invalid(field, "a CI reference needs an id or an identifier")
	}
	return nil
}

// resolve turns a checked reference into a CI id, seeing CIs staged
// earlier in the batch.
func (t *txn) resolve(field string, ref graph.CIRef) (string, error) {
	if ref.ID != "" {
		if !t.exists(ref.ID) {
			return "", graph.NotFound(field, "CI", ref.ID)
		}
		return ref.ID, nil
	}
	id := graph.NormalizeIdentifier(*ref.Identifier)
	owner := t.identOwner(id)
	if owner == "" {
		return "", graph.Errorf(graph.CodeNotFound, field, "no CI has identifier %s=%s", id.Kind, id.Value)
	}
	return owner, nil
}

// prefixField returns err with its field placed under prefix, so that a
// batch error names the item at fault. Other errors pass through.
func prefixField(prefix string, err error) error {
	var de *graph.Error
	if !errors.As(err, &de) {
		return err
	}
	field := prefix
	if de.Field != "" {
		field += "." + de.Field
	}
	return &graph.Error{Code: de.Code, Field: field, Message: de.Message, Err: de.Err}
}

func message(err error) string {
	var de *graph.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
