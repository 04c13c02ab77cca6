package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/server"
	"github.com/ripple-cmdb/ripple/store/embedded"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
)

// side is one store with the estate loaded and a GraphQL server over it.
type side struct {
	name   string
	store  graph.Store
	loaded *estate.Loaded
	srv    *httptest.Server
	// names maps a store id back to the estate's CI name, so sides that
	// make their own ids can be compared.
	names map[string]string
	close func()
}

// openEmbedded loads the estate into a fresh embedded store in a
// temporary directory.
func openEmbedded(ctx context.Context, est *estate.Estate, batch int) (*side, error) {
	dir, err := os.MkdirTemp("", "ripple-scale-")
	if err != nil {
		return nil, err
	}
	st, err := embedded.Open(ctx, dir, graph.DefaultCatalogue())
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	l, err := est.Load(ctx, st, batch)
	if err != nil {
		return nil, err
	}
	fmt.Printf("embedded: loaded %d CIs, %d relations in %v\n", len(est.CIs), len(est.Rels), time.Since(t0).Round(time.Millisecond))
	s := newSide("embedded", st, l)
	s.close = func() { s.srv.Close(); _ = st.Close(ctx); _ = os.RemoveAll(dir) }
	return s, nil
}

// openNeo4j opens the Neo4j at uri and makes sure it holds exactly the
// estate: kept when it already does (loading 100k CIs takes minutes),
// otherwise WIPED and loaded.
func openNeo4j(ctx context.Context, uri string, est *estate.Estate, batch int) (*side, neo4j.DriverWithContext, error) {
	st, err := rneo4j.Open(ctx, rneo4j.Config{URI: uri}, graph.DefaultCatalogue(), zerolog.Nop())
	if err != nil {
		return nil, nil, err
	}
	d, err := neo4j.NewDriverWithContext(uri, neo4j.NoAuth())
	if err != nil {
		return nil, nil, err
	}
	l, err := existingEstate(ctx, d, est)
	if err != nil {
		return nil, nil, err
	}
	if l == nil {
		if err := wipe(ctx, d); err != nil {
			return nil, nil, err
		}
		t0 := time.Now()
		if l, err = est.Load(ctx, st, batch); err != nil {
			return nil, nil, err
		}
		fmt.Printf("neo4j: loaded %d CIs, %d relations in %v\n", len(est.CIs), len(est.Rels), time.Since(t0).Round(time.Millisecond))
	} else {
		fmt.Printf("neo4j: the estate is already loaded (%d CIs, %d relations)\n", len(est.CIs), len(est.Rels))
	}
	s := newSide("neo4j", st, l)
	s.close = func() { s.srv.Close(); _ = st.Close(ctx) }
	return s, d, nil
}

func newSide(name string, st graph.Store, l *estate.Loaded) *side {
	s := &side{name: name, store: st, loaded: l, names: make(map[string]string, len(l.IDs))}
	for i, id := range l.IDs {
		s.names[id] = l.CIs[i].Name
	}
	s.srv = httptest.NewServer(server.NewHandler(app.New(st, formats.DefaultPolicy()), server.Config{Logger: zerolog.Nop()}))
	return s
}

// existingEstate returns the estate as loaded in Neo4j when the database
// holds exactly its CIs and relation count, nil otherwise.
func existingEstate(ctx context.Context, d neo4j.DriverWithContext, est *estate.Estate) (*estate.Loaded, error) {
	res, err := neo4j.ExecuteQuery(ctx, d, "MATCH (c:CI) RETURN c.name AS name, c.id AS id", nil, neo4j.EagerResultTransformer)
	if err != nil {
		return nil, err
	}
	if len(res.Records) != len(est.CIs) {
		return nil, nil
	}
	byName := make(map[string]string, len(res.Records))
	for _, r := range res.Records {
		name, _ := r.Get("name")
		id, _ := r.Get("id")
		byName[name.(string)] = id.(string)
	}
	l := &estate.Loaded{Estate: est, IDs: make([]string, len(est.CIs))}
	for i, c := range est.CIs {
		if l.IDs[i] = byName[c.Name]; l.IDs[i] == "" {
			return nil, nil
		}
	}
	types := map[string]bool{}
	for _, r := range est.Rels {
		types[r.Type] = true
	}
	var names []string
	for t := range types {
		names = append(names, t)
	}
	res, err = neo4j.ExecuteQuery(ctx, d, "MATCH (:CI)-[r:"+strings.Join(names, "|")+"]->(:CI) RETURN count(r) AS n", nil, neo4j.EagerResultTransformer)
	if err != nil {
		return nil, err
	}
	if n, _ := res.Records[0].Get("n"); n.(int64) != int64(len(est.Rels)) {
		return nil, nil
	}
	return l, nil
}

func wipe(ctx context.Context, d neo4j.DriverWithContext) error {
	session := d.NewSession(ctx, neo4j.SessionConfig{})
	defer session.Close(ctx)
	res, err := session.Run(ctx, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS", nil)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return fmt.Errorf("wipe: %w", err)
	}
	return nil
}

// graphQL posts one query and returns the decoded data.
func graphQL(ctx context.Context, url, query string, vars map[string]any, into any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("graphql: %w (%.200s)", err, raw)
	}
	if len(out.Errors) > 0 || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("graphql: %d %v", resp.StatusCode, out.Errors)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(out.Data, into)
}

// blastQuery is what a console asks for a blast radius: every impacted CI
// with its effect and distance.
const blastQuery = `query($id: ID!, $depth: Int) { blastRadius(ciIds: [$id], maxDepth: $depth) {
  impacted { ci { id name class } effect distance } } }`

// graphQLBlast returns the names of the impacted CIs, in the list's order
// (distance, then name): check sorts them to compare, and takes the first
// page from them to check the connection's.
func graphQLBlast(ctx context.Context, s *side, id string, depth int) ([]string, error) {
	var out struct {
		BlastRadius struct {
			Impacted []struct {
				CI struct{ Name string } `json:"ci"`
			} `json:"impacted"`
		} `json:"blastRadius"`
	}
	if err := graphQL(ctx, s.srv.URL, blastQuery, map[string]any{"id": id, "depth": depth}, &out); err != nil {
		return nil, err
	}
	names := make([]string, len(out.BlastRadius.Impacted))
	for i, im := range out.BlastRadius.Impacted {
		names[i] = im.CI.Name
	}
	return names, nil
}

// blastPageQuery is what a console asks first for a large radius: the
// totals and the first page of the impacted connection.
const blastPageQuery = `query($id: ID!, $depth: Int, $first: Int) { blastRadius(ciIds: [$id], maxDepth: $depth) {
  impactedConnection(first: $first) { totalCount byEffect { effect count } byClass { class count }
    edges { node { ci { id name class } effect distance } } pageInfo { hasNextPage endCursor } } } }`

// pageSize is the page the connection contender asks for.
const pageSize = 100

// graphQLBlastPage returns the sorted names of the first page of impacted
// CIs, after a "total N" entry (which sorts before every CI name): check
// compares it with the full list's first names and count.
func graphQLBlastPage(ctx context.Context, s *side, id string, depth int) ([]string, error) {
	var out struct {
		BlastRadius struct {
			ImpactedConnection struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						CI struct{ Name string } `json:"ci"`
					}
				}
			} `json:"impactedConnection"`
		} `json:"blastRadius"`
	}
	if err := graphQL(ctx, s.srv.URL, blastPageQuery, map[string]any{"id": id, "depth": depth, "first": pageSize}, &out); err != nil {
		return nil, err
	}
	conn := out.BlastRadius.ImpactedConnection
	names := make([]string, 0, len(conn.Edges)+1)
	for _, e := range conn.Edges {
		names = append(names, e.Node.CI.Name)
	}
	sort.Strings(names)
	return append([]string{totalEntry(conn.TotalCount)}, names...), nil
}

// totalEntry is the count entry of graphQLBlastPage's answer.
func totalEntry(n int) string { return fmt.Sprintf(" total %d", n) }

// storeReach is the store call: the downstream neighbourhood, as the
// sorted names of the CIs reached (seed included).
func storeReach(ctx context.Context, s *side, id string, depth int) ([]string, error) {
	sub, err := s.store.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{id}, Direction: graph.Downstream, MaxDepth: depth})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sub.Nodes))
	for id := range sub.Nodes {
		names = append(names, s.names[id])
	}
	sort.Strings(names)
	return names, nil
}
