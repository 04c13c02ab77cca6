package resolvers

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/asof"
	"github.com/ripple-cmdb/ripple/resolvers/model"
)

// historyExtension is the response extension that says how complete the
// history behind the operation's as-of answers was.
const historyExtension = "history"

// pastViews are one operation's views of the graph as it was, one per
// instant asked, each with loaders over it so nested fields batch as they
// do on the present.
type pastViews struct {
	mu        sync.Mutex
	byInstant map[time.Time]*pastView
	order     []time.Time
	// reported is set once the extension is registered (gqlgen refuses a
	// second registration of a key).
	reported bool
}

type pastView struct {
	view    *asof.View
	loaders *loaders
}

// pastReader is what a past view's loaders read: CIs and relations as they
// were; sightings are the import ledger's, which keeps no history.
type pastReader struct {
	*asof.View
	graph.Store
}

func (p pastReader) CIsByIDs(ctx context.Context, ids []string) (map[string]graph.CI, error) {
	return p.View.CIsByIDs(ctx, ids)
}

func (p pastReader) RelationsOf(ctx context.Context, ids []string, dir graph.Direction, types []string) (map[string][]graph.Relation, error) {
	return p.View.RelationsOf(ctx, ids, dir, types)
}

func (p *pastViews) at(s graph.Store, at time.Time) *pastView {
	at = at.UTC()
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.byInstant[at]; ok {
		return v
	}
	view := asof.At(s, at)
	v := &pastView{view: view, loaders: newLoaders(pastReader{View: view, Store: s})}
	p.byInstant[at] = v
	p.order = append(p.order, at)
	return v
}

// MarshalJSON writes the history status of every instant asked, when the
// response is written, i.e. after every nested field has added its gaps.
func (p *pastViews) MarshalJSON() ([]byte, error) {
	p.mu.Lock()
	out := make([]model.HistoryStatus, 0, len(p.order))
	for _, at := range p.order {
		out = append(out, historyStatus(p.byInstant[at].view))
	}
	p.mu.Unlock()
	return json.Marshal(out)
}

// report registers the history extension once per operation, inside one
// (a field context means gqlgen's response context is there too).
func (p *pastViews) report(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reported || graphql.GetFieldContext(ctx) == nil {
		return
	}
	p.reported = true
	graphql.RegisterExtension(ctx, historyExtension, p)
}

func historyStatus(v *asof.View) model.HistoryStatus {
	gaps := v.Gaps()
	return model.HistoryStatus{AsOf: v.Instant(), Complete: len(gaps) == 0, Gaps: gaps}
}

// asOfFields are the query fields whose asOf argument sets the instant
// their nested fields read.
var asOfFields = map[string]bool{"ci": true, "cis": true, "blastRadius": true, "dependencies": true}

// asOfOf returns the instant the nearest enclosing field reads the graph
// at: its asOf argument, or the instant of a BlastRadiusAsOf it resolves
// under. Nil means the present.
func asOfOf(ctx context.Context) *time.Time {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Object == "Query" && fc.Field.Field != nil && asOfFields[fc.Field.Name] {
			if at, ok := fc.Args["asOf"].(*time.Time); ok && at != nil {
				return at
			}
		}
		if b, ok := fc.Result.(*model.BlastRadiusAsOf); ok && b != nil {
			return &b.AsOf
		}
	}
	return nil
}

// view returns the operation's view of the graph at the instant asked in
// the argument named field, after refusing an instant in the future, and
// reports its history in the response's extensions.
func (r *Resolver) view(ctx context.Context, field string, at time.Time) (*asof.View, error) {
	if err := asof.CheckInstant(field, at, graph.Now()); err != nil {
		return nil, err
	}
	return r.past(ctx, at).view, nil
}

// past returns the operation's view of the graph at an instant, with its
// loaders, and reports its history in the response's extensions.
func (r *Resolver) past(ctx context.Context, at time.Time) *pastView {
	l, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		l = newLoaders(r.Store)
	}
	pv := l.past.at(r.Store, at)
	l.past.report(ctx)
	return pv
}

// traverser returns what a traversal field reads: the store, or the graph
// as it was when asOf is given.
func (r *Resolver) traverser(ctx context.Context, asOf *time.Time) (graph.Traverser, error) {
	if asOf == nil {
		return r.Store, nil
	}
	return r.view(ctx, "asOf", *asOf)
}

// rawObject turns a stored JSON value into the JSON scalar's map.
func rawObject(raw json.RawMessage) (map[string]any, error) {
	if raw == nil {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, graph.Internal(err, "cannot decode a recorded value")
	}
	return m, nil
}

// listCIsAsOf pages through the CIs as they were at an instant.
func (r *Resolver) listCIsAsOf(ctx context.Context, f graph.CIFilter, req pageRequest, at time.Time) (*model.CIConnection, error) {
	v, err := r.view(ctx, "asOf", at)
	if err != nil {
		return nil, err
	}
	return r.ciConnection(ctx, req, func() (graph.CIPage, error) { return v.ListCIs(ctx, r.Store, f, req.Page) })
}

// graphDiff lists what changed between two instants, a page at a time.
func (r *Resolver) graphDiff(ctx context.Context, from, to time.Time, p graph.Page) (*model.GraphDiff, error) {
	if err := asof.CheckInstant("to", to, graph.Now()); err != nil {
		return nil, err
	}
	if _, _, err := graph.CheckGraphChanges(from, to, p); err != nil {
		return nil, err
	}
	d, err := asof.Between(ctx, r.Store, from, to)
	if err != nil {
		return nil, err
	}
	items, hasNext, err := d.Page(p)
	if err != nil {
		return nil, err
	}
	out := &model.GraphDiff{From: from, To: to, TotalCount: len(d.Changes),
		Added: d.Count(asof.Added), Removed: d.Count(asof.Removed), Changed: d.Count(asof.Changed),
		History: &model.HistoryStatus{AsOf: to, Complete: len(d.Gaps) == 0, Gaps: d.Gaps}}
	if out.History.Gaps == nil {
		out.History.Gaps = []asof.Gap{}
	}
	out.Edges, out.PageInfo = connection(len(items), hasNext, p.After != "", pageRequest{Page: p}, func(i int) (model.GraphChangeEdge, string) {
		c := graph.IDCursor(items[i].FirstEntry)
		return model.GraphChangeEdge{Cursor: c, Node: &items[i]}, c
	})
	return out, nil
}

// blastOfTargetsAt is the blast radius of a change's targets over the
// graph as it was at an instant.
func (r *Resolver) blastOfTargetsAt(ctx context.Context, targets []string, at time.Time) (*model.BlastRadiusAsOf, error) {
	// A change's recorded times are in the past (the ITSM rules refuse
	// future ones), so there is no instant to check here.
	pv := r.past(ctx, at)
	v := pv.view
	tb, err := asof.BlastOfTargets(ctx, v, targets)
	if err != nil {
		return nil, err
	}
	st := historyStatus(v)
	return &model.BlastRadiusAsOf{AsOf: v.Instant(), BlastRadius: &tb.Blast, History: &st, MissingCiIds: tb.Missing}, nil
}
