package neo4j

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// The graph version lives in the database, because several stateless
// replicas share it: a counter in one process's memory would not see the
// others' writes. Every transaction that changes the graph bumps it, so
// the bump commits or rolls back with the change.
//
// It is a counter in graphVersionShards (:GraphVersion) nodes, and a
// transaction bumps one of them, drawn at random. A bump takes its node's
// write lock until commit: with one node, graph writes queued on it from
// their bump to their commit (eight trivial writers at once: 350 → 120
// transactions/s); with several, two writers meet only when they draw the
// same node. The version is every node's count, read in one statement:
// each committed write raises one of them, and none ever goes down, so a
// write committed between two reads always shows. Each node's epoch is
// drawn when it is created, so a wiped and reloaded database never hands
// out a token it handed out before. (A database written before the
// shards keeps its one {key: 'graph'} node, which is read with them and
// no longer bumped.)
const (
	graphVersionShards     = 16
	cypherBumpGraphVersion = `MERGE (v:GraphVersion {key: $key})
ON CREATE SET v.epoch = randomUUID(), v.n = 1
ON MATCH SET v.n = v.n + 1`
	cypherGraphVersion = `MATCH (v:GraphVersion) RETURN v.key AS key, v.epoch AS epoch, v.n AS n ORDER BY key`
)

// GraphVersion reads the version nodes: "0" before the first graph write,
// else a digest of every node's key, epoch and count.
func (s *Store) GraphVersion(ctx context.Context) (string, error) {
	return readTx(ctx, s, "read graph version", func(ctx context.Context, tx neo4j.ManagedTransaction) (string, error) {
		h := sha256.New()
		nodes := 0
		err := collect(ctx, tx, cypherGraphVersion, nil, func(rec *neo4j.Record) error {
			key, _, err := neo4j.GetRecordValue[string](rec, "key")
			if err != nil {
				return err
			}
			epoch, _, err := neo4j.GetRecordValue[string](rec, "epoch")
			if err != nil {
				return err
			}
			n, _, err := neo4j.GetRecordValue[int64](rec, "n")
			if err != nil {
				return err
			}
			nodes++
			_, err = fmt.Fprintf(h, "%s\x00%s\x00%d\x00", key, epoch, n)
			return err
		})
		if err != nil || nodes == 0 {
			return "0", err
		}
		return hex.EncodeToString(h.Sum(nil)[:16]), nil
	})
}

// bumpGraphVersion moves the graph version in tx when the changes being
// audited touch the graph (record changes do not).
func bumpGraphVersion(ctx context.Context, tx neo4j.ManagedTransaction, changes []auditChange) error {
	for _, c := range changes {
		if c.subjectKind == graph.SubjectCI || c.subjectKind == graph.SubjectRelation {
			key := fmt.Sprintf("graph-%02d", rand.IntN(graphVersionShards))
			return exec(ctx, tx, cypherBumpGraphVersion, map[string]any{"key": key})
		}
	}
	return nil
}
