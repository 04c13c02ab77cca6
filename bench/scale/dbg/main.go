package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/ripple-cmdb/ripple/graph"
	rneo4j "github.com/ripple-cmdb/ripple/store/neo4j"
)

func main() {
	ctx := context.Background()
	st, err := rneo4j.Open(ctx, rneo4j.Config{URI: "bolt://127.0.0.1:7704"}, graph.DefaultCatalogue(), zerolog.Nop())
	if err != nil { panic(err) }
	d, _ := neo4j.NewDriverWithContext("bolt://127.0.0.1:7704", neo4j.NoAuth())
	for _, name := range []string{"pod-00612-2", "dc0-rack-000", "dc0-datastore-0", "dc-0"} {
		res, err := neo4j.ExecuteQuery(ctx, d, "MATCH (c:CI {name: $n}) RETURN c.id AS id", map[string]any{"n": name}, neo4j.EagerResultTransformer)
		if err != nil || len(res.Records) == 0 { fmt.Println(name, err); continue }
		id, _ := res.Records[0].Get("id")
		t0 := time.Now()
		sub, err := st.Neighbourhood(ctx, graph.NeighbourhoodQuery{Seeds: []string{id.(string)}, MaxDepth: 6})
		fmt.Println(name, len(sub.Nodes), len(sub.Edges), time.Since(t0), err)
		if e, ok := err.(interface{ Unwrap() error }); ok { fmt.Printf("%#v\n", e.Unwrap()) }
	}
}
