package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// Property names of (:Record) nodes (id, createdAt and updatedAt are shared
// with CIs).
const (
	propRecKind    = "kind"
	propRecVersion = "version"
	propRecState   = "state"
	propRecStart   = "start"
	propRecEnd     = "end"
	propRecRefs    = "refs"
	propRecLinks   = "links"
	propRecDoc     = "doc"
)

// storedLink is the JSON form of a RecordLink in the links property.
type storedLink struct {
	Role string `json:"role"`
	CI   string `json:"ci"`
}

// lockedRecord is what cypherLockRecord reads of an existing record.
type lockedRecord struct {
	version   int64
	doc       string
	createdAt time.Time
	// linked are the CIs the stored version links to: they may have been
	// deleted since and still stay on the record.
	linked map[string]bool
}

// PutRecord creates (expectVersion 0) or replaces a record, with its links
// and one audit entry, in one transaction.
func (s *Store) PutRecord(ctx context.Context, rec graph.Record, expectVersion int64) (graph.Record, error) {
	if err := graph.CheckRecord(rec); err != nil {
		return graph.Record{}, err
	}
	if expectVersion < 0 {
		return graph.Record{}, graph.Invalid("version", "version must not be negative")
	}
	links := make([]storedLink, len(rec.Links))
	linkRows := make([]map[string]any, len(rec.Links))
	ciIDs := make([]string, len(rec.Links))
	for i, l := range rec.Links {
		links[i] = storedLink{Role: l.Role, CI: l.CI}
		linkRows[i] = map[string]any{"role": l.Role, "ci": l.CI}
		ciIDs[i] = l.CI
	}
	linksJSON, err := json.Marshal(links)
	if err != nil {
		return graph.Record{}, graph.Internal(err, "encode record links")
	}
	by := authorOf(ctx)
	work := func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Record, error) {
		now := graph.Now()
		cur, found, err := lockRecord(ctx, tx, rec.Kind, rec.ID)
		if err != nil {
			return graph.Record{}, err
		}
		switch {
		case expectVersion == 0 && found:
			return graph.Record{}, graph.Errorf(graph.CodeConflict, "id", "%s %s already exists", rec.Kind.Noun(), rec.ID)
		case expectVersion > 0 && !found:
			return graph.Record{}, graph.RecordNotFound("id", rec.Kind, rec.ID)
		case expectVersion > 0 && cur.version != expectVersion:
			return graph.Record{}, graph.Errorf(graph.CodeConflict, "version",
				"%s %s is at version %d, not %d: it changed since it was read", rec.Kind.Noun(), rec.ID, cur.version, expectVersion)
		}
		exist, err := checkLinkedCIs(ctx, tx, ciIDs, cur.linked)
		if err != nil {
			return graph.Record{}, err
		}
		// Only links to CIs that exist become edges; the others are links
		// the record already had to CIs deleted since, kept in its data.
		var rows []map[string]any
		for i, row := range linkRows {
			if exist[ciIDs[i]] {
				rows = append(rows, row)
			}
		}
		stored := storedRecord(rec, expectVersion+1, now)
		action, before, cypher := graph.ActionCreate, []byte(nil), cypherCreateRecord
		if found {
			stored.CreatedAt = cur.createdAt
			action, before, cypher = graph.ActionUpdate, []byte(cur.doc), cypherUpdateRecord
		}
		params := map[string]any{"kind": string(rec.Kind), "id": rec.ID, "row": recordRow(stored, linksJSON), "links": rows}
		var linked int64
		err = collect(ctx, tx, cypher, params, func(r *neo4j.Record) error {
			linked, err = recordValue[int64](r, "linked")
			return err
		})
		if err != nil {
			return graph.Record{}, err
		}
		if linked != int64(len(rows)) {
			// A linked CI was deleted between the check and the write: a
			// new link is NOT_FOUND; one the record already had is a lost
			// race, which the writer resolves by reading again (its next
			// try keeps the link without an edge, like any link to a
			// deleted CI).
			if _, err := checkLinkedCIs(ctx, tx, ciIDs, cur.linked); err != nil {
				return graph.Record{}, err
			}
			return graph.Record{}, graph.Errorf(graph.CodeConflict, "version",
				"a CI linked by %s record %s was deleted while it was written; read it again and retry", rec.Kind, rec.ID)
		}
		change := recordChange(action, rec.Kind, rec.ID, before, rec.Doc)
		if err := writeAudit(ctx, tx, by, now, []auditChange{change}); err != nil {
			return graph.Record{}, err
		}
		return stored, nil
	}
	// Linking a CI that a concurrent DeleteCI is deleting waits for the
	// delete's lock and then finds the node gone (EntityNotFound, which
	// fails the transaction). Running it again sees the CI missing and
	// answers NOT_FOUND, or keeps the link of a record that had it.
	for attempt := 1; ; attempt++ {
		out, err := writeTx(ctx, s, "put record", work)
		if attempt < 3 && isEntityNotFound(err) {
			continue
		}
		return out, err
	}
}

// storedRecord is rec as PutRecord stores it: times at the store's
// microsecond precision, in UTC.
func storedRecord(rec graph.Record, version int64, now time.Time) graph.Record {
	out := rec
	out.Version, out.CreatedAt, out.UpdatedAt = version, now, now
	out.Start, out.End = microsPtr(rec.Start), microsPtr(rec.End)
	out.Links = append([]graph.RecordLink(nil), rec.Links...)
	out.Refs = append([]string(nil), rec.Refs...)
	if len(out.Links) == 0 {
		out.Links = nil
	}
	if len(out.Refs) == 0 {
		out.Refs = nil
	}
	return out
}

func microsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := fromMicros(t.UnixMicro())
	return &v
}

// recordRow is the property map of a (:Record) node. Absent bounds and
// refs are null, which SET r = row leaves unstored.
func recordRow(rec graph.Record, linksJSON []byte) map[string]any {
	var start, end, refs any
	if rec.Start != nil {
		start = rec.Start.UnixMicro()
	}
	if rec.End != nil {
		end = rec.End.UnixMicro()
	}
	if len(rec.Refs) > 0 {
		refs = rec.Refs
	}
	return map[string]any{
		propRecKind:    string(rec.Kind),
		propID:         rec.ID,
		propRecVersion: rec.Version,
		propRecState:   rec.State,
		propRecStart:   start,
		propRecEnd:     end,
		propRecRefs:    refs,
		propRecLinks:   string(linksJSON),
		propRecDoc:     string(rec.Doc),
		propCreatedAt:  rec.CreatedAt.UnixMicro(),
		propUpdatedAt:  rec.UpdatedAt.UnixMicro(),
	}
}

// lockRecord write-locks and reads a record; see cypherLockRecord.
func lockRecord(ctx context.Context, tx neo4j.ManagedTransaction, kind graph.RecordKind, id string) (lockedRecord, bool, error) {
	var (
		cur   lockedRecord
		found bool
	)
	err := collect(ctx, tx, cypherLockRecord, map[string]any{"kind": string(kind), "id": id}, func(r *neo4j.Record) error {
		var err error
		found = true
		if cur.version, err = recordValue[int64](r, "version"); err != nil {
			return err
		}
		if cur.doc, err = recordValue[string](r, "doc"); err != nil {
			return err
		}
		micros, err := recordValue[int64](r, "createdAt")
		if err != nil {
			return err
		}
		cur.createdAt = fromMicros(micros)
		raw, err := recordValue[string](r, "links")
		if err != nil {
			return err
		}
		var links []storedLink
		if raw != "" {
			if err := json.Unmarshal([]byte(raw), &links); err != nil {
				return graph.Internal(err, "decode links of record %s", id)
			}
		}
		cur.linked = map[string]bool{}
		for _, l := range links {
			cur.linked[l.CI] = true
		}
		return nil
	})
	if err != nil {
		return lockedRecord{}, false, fmt.Errorf("lock record: %w", err)
	}
	return cur, found, nil
}

// checkLinkedCIs returns which linked CIs exist, failing with NOT_FOUND on
// "links[i]" for the first missing one that the record did not already link
// to (kept: a record may outlive the CIs it is about).
func checkLinkedCIs(ctx context.Context, tx neo4j.ManagedTransaction, ids []string, kept map[string]bool) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found := map[string]bool{}
	err := collect(ctx, tx, cypherFoundCIs, map[string]any{"ids": ids}, func(r *neo4j.Record) error {
		list, err := recordList[string](r, "found")
		for _, id := range list {
			found[id] = true
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("check linked CIs: %w", err)
	}
	for i, id := range ids {
		if !found[id] && !kept[id] {
			return nil, graph.NotFound(graph.FieldIndex("links", i), "CI", id)
		}
	}
	return found, nil
}

// GetRecord returns one record.
func (s *Store) GetRecord(ctx context.Context, kind graph.RecordKind, id string) (graph.Record, error) {
	if err := graph.CheckRecordKey(kind, id); err != nil {
		return graph.Record{}, err
	}
	return readTx(ctx, s, "get record", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.Record, error) {
		var (
			rec   graph.Record
			found bool
		)
		err := collect(ctx, tx, cypherGetRecord, map[string]any{"kind": string(kind), "id": id}, func(r *neo4j.Record) error {
			var err error
			found = true
			rec, err = recordRecord(r)
			return err
		})
		if err != nil {
			return graph.Record{}, err
		}
		if !found {
			return graph.Record{}, graph.RecordNotFound("id", kind, id)
		}
		return rec, nil
	})
}

// RecordsByIDs returns the records of a kind that exist among ids;
// malformed and unknown ids are left out, as dataloaders expect.
func (s *Store) RecordsByIDs(ctx context.Context, kind graph.RecordKind, ids []string) (map[string]graph.Record, error) {
	if err := graph.CheckRecordKind(kind); err != nil {
		return nil, err
	}
	valid := validIDs(ids)
	if len(valid) == 0 {
		return map[string]graph.Record{}, nil
	}
	return readTx(ctx, s, "get records by ids", func(ctx context.Context, tx neo4j.ManagedTransaction) (map[string]graph.Record, error) {
		out := make(map[string]graph.Record, len(valid))
		err := collect(ctx, tx, cypherRecordsByIDs, map[string]any{"kind": string(kind), "ids": valid}, func(r *neo4j.Record) error {
			rec, err := recordRecord(r)
			if err != nil {
				return err
			}
			out[rec.ID] = rec
			return nil
		})
		return out, err
	})
}

// ListRecords returns one page of records of a kind in f.Order, and the
// number matching the filter, read in one transaction so they agree.
func (s *Store) ListRecords(ctx context.Context, kind graph.RecordKind, f graph.RecordFilter, p graph.Page) (graph.RecordPage, error) {
	ks, err := graph.CheckListRecords(kind, f.Order, p)
	if err != nil {
		return graph.RecordPage{}, err
	}
	p = ks.Page
	lf := recordListFilter{
		states: len(f.States) > 0, ci: f.CI != "", ref: f.Ref != "", from: f.From != nil, to: f.To != nil,
		sort: ks.Order.By, desc: ks.Order.Ascending == p.Backward(), cursor: ks.Cursor,
	}
	params := recordFilterParams(kind, f)
	params["ci"], params["limit"], params["noStart"] = f.CI, int64(p.Size()+1), ks.Order.NoStartKey()
	params["cursorKey"], params["cursorId"] = ks.Key, ks.ID
	if !ks.Cursor && lf.desc {
		params["cursorId"] = historyTop // above every id
	}
	pageCypher, countCypher := cypherListRecords(lf)
	return readTx(ctx, s, "list records", func(ctx context.Context, tx neo4j.ManagedTransaction) (graph.RecordPage, error) {
		var out graph.RecordPage
		var err error
		if out.Records, out.HasNextPage, out.HasPreviousPage, err = collectPage(ctx, tx, pageCypher, params, p, recordRecord); err != nil {
			return graph.RecordPage{}, err
		}
		if out.TotalCount, err = countTotal(ctx, tx, countCypher, params); err != nil {
			return graph.RecordPage{}, err
		}
		return out, nil
	})
}

// recordFilterParams are the parameters of a record filter's kind and
// recordConditions.
func recordFilterParams(kind graph.RecordKind, f graph.RecordFilter) map[string]any {
	params := map[string]any{"kind": string(kind), "states": f.States, "ref": f.Ref}
	if f.To != nil {
		params["to"] = f.To.UnixMicro() // rounded down; see cypherListRecords
	}
	if f.From != nil {
		params["from"] = ceilMicros(*f.From)
	}
	return params
}

// ceilMicros rounds t up to a whole microsecond, in Unix microseconds.
func ceilMicros(t time.Time) int64 {
	m := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		m++
	}
	return m
}

// DeleteRecord removes a record and its links, auditing the document it
// had.
func (s *Store) DeleteRecord(ctx context.Context, kind graph.RecordKind, id string, expectVersion int64) error {
	if err := graph.CheckRecordKey(kind, id); err != nil {
		return err
	}
	if expectVersion < 0 {
		return graph.Invalid("version", "version must not be negative")
	}
	by := authorOf(ctx)
	_, err := writeTx(ctx, s, "delete record", func(ctx context.Context, tx neo4j.ManagedTransaction) (struct{}, error) {
		now := graph.Now()
		cur, found, err := lockRecord(ctx, tx, kind, id)
		if err != nil {
			return struct{}{}, err
		}
		if !found {
			return struct{}{}, graph.RecordNotFound("id", kind, id)
		}
		if expectVersion != 0 && cur.version != expectVersion {
			return struct{}{}, graph.Errorf(graph.CodeConflict, "version",
				"%s %s is at version %d, not %d: it changed since it was read", kind.Noun(), id, cur.version, expectVersion)
		}
		if err := exec(ctx, tx, cypherDeleteRecord, map[string]any{"kind": string(kind), "id": id}); err != nil {
			return struct{}{}, fmt.Errorf("delete record: %w", err)
		}
		change := recordChange(graph.ActionDelete, kind, id, []byte(cur.doc), nil)
		return struct{}{}, writeAudit(ctx, tx, by, now, []auditChange{change})
	})
	return err
}

// recordRecord reads the (:Record) node of a row, returned as r.
func recordRecord(rec *neo4j.Record) (graph.Record, error) {
	return nodeColumn(rec, "r", recordFromNode)
}

// recordFromNode decodes a (:Record) node written by recordRow.
func recordFromNode(n neo4j.Node) (graph.Record, error) {
	f := nodeFields(n)
	rec := graph.Record{
		Kind:    graph.RecordKind(f.str(propRecKind)),
		ID:      f.str(propID),
		State:   f.str(propRecState),
		Doc:     json.RawMessage(f.str(propRecDoc)),
		Start:   f.optMicros(propRecStart),
		End:     f.optMicros(propRecEnd),
		Version: f.int(propRecVersion),
		Refs:    f.strings(propRecRefs),
	}
	linksJSON := f.str(propRecLinks)
	if created := f.optMicros(propCreatedAt); created != nil {
		rec.CreatedAt = *created
	}
	if updated := f.optMicros(propUpdatedAt); updated != nil {
		rec.UpdatedAt = *updated
	}
	err := f.err
	if err == nil {
		var links []storedLink
		if err = json.Unmarshal([]byte(linksJSON), &links); err == nil {
			for _, l := range links {
				rec.Links = append(rec.Links, graph.RecordLink{Role: l.Role, CI: l.CI})
			}
		}
	}
	if err != nil {
		return graph.Record{}, fmt.Errorf("decode record node %s: %w", n.ElementId, err)
	}
	return rec, nil
}
