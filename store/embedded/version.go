package embedded

import (
	"context"
	"strconv"
)

// GraphVersion is this opening's epoch and the number of commits since
// that changed the graph. The counter lives in memory: only this process
// writes the file, and whatever cached results under a token lives no
// longer than the Store (a reopened store starts a new epoch).
func (s *Store) GraphVersion(ctx context.Context) (string, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	return s.epoch + ":" + strconv.FormatUint(s.graphVersion.Load(), 10), nil
}

// changesGraph reports whether the txn changes CIs, identifiers or
// relations, as opposed to records or the ledger only.
func (t *txn) changesGraph() bool {
	return len(t.cis) > 0 || len(t.idents) > 0 || len(t.relAdd) > 0 || len(t.relDel) > 0
}
