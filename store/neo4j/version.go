package neo4j

import (
	"context"
	"strconv"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
)

// The graph version lives in the database, on one (:GraphVersion) node,
// because several stateless replicas share it: a counter in one process's
// memory would not see the others' writes. Every transaction that changes
// the graph bumps it, so the bump commits or rolls back with the change.
// The node's epoch is drawn when it is created, so a wiped and reloaded
// database never hands out a token it handed out before.
//
// The bump takes the node's write lock until commit, so graph writes
// serialise on it for the short time between their audit write and their
// commit. It is taken last (writeAudit runs after the changes), so a
// writer never holds it while waiting for another lock.
const (
	cypherBumpGraphVersion = `MERGE (v:GraphVersion {key: 'graph'})
ON CREATE SET v.epoch = randomUUID(), v.n = 1
ON MATCH SET v.n = v.n + 1`
	cypherGraphVersion = `OPTIONAL MATCH (v:GraphVersion {key: 'graph'}) RETURN v.epoch AS epoch, v.n AS n`
)

// GraphVersion reads the version node: "0" before the first graph write.
func (s *Store) GraphVersion(ctx context.Context) (string, error) {
	return readTx(ctx, s, "read graph version", func(ctx context.Context, tx neo4j.ManagedTransaction) (string, error) {
		version := "0"
		err := collect(ctx, tx, cypherGraphVersion, nil, func(rec *neo4j.Record) error {
			epoch, _, err := neo4j.GetRecordValue[string](rec, "epoch")
			if err != nil {
				return err
			}
			n, _, err := neo4j.GetRecordValue[int64](rec, "n")
			if err != nil {
				return err
			}
			if epoch != "" {
				version = epoch + ":" + strconv.FormatInt(n, 10)
			}
			return nil
		})
		return version, err
	})
}

// bumpGraphVersion moves the graph version in tx when the changes being
// audited touch the graph (record changes do not).
func bumpGraphVersion(ctx context.Context, tx neo4j.ManagedTransaction, changes []auditChange) error {
	for _, c := range changes {
		if c.subjectKind == graph.SubjectCI || c.subjectKind == graph.SubjectRelation {
			return exec(ctx, tx, cypherBumpGraphVersion, nil)
		}
	}
	return nil
}
