// Package loadgen drives a running Ripple over GraphQL on HTTP, as its
// clients do: a small GraphQL client, and a mixed read/write load that
// measures throughput and latency per operation and then checks that every
// write the server acknowledged is there. `go run ./bench/load` and the
// replica and outage tests of cmd/ripple use it.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client posts GraphQL requests to one server.
type Client struct {
	// URL is the server's base address (http://127.0.0.1:8080).
	URL string
	// HTTP sends the requests (http.DefaultClient when nil).
	HTTP *http.Client
	// Actor is sent as X-Ripple-Actor, when set.
	Actor string
}

// Error is one GraphQL error, with the domain code and field the server
// puts in its extensions.
type Error struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code (UNAVAILABLE, CONFLICT, ...).
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Errors are a response's GraphQL errors, as one error.
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Code() + ": " + e.Message
	}
	return strings.Join(msgs, "; ")
}

// Code is the first error's code.
func (es Errors) Code() string { return es[0].Code() }

// ErrorCode is the GraphQL code of err when it is Errors, "HTTP" when the
// server answered with something other than GraphQL, and "TRANSPORT" when
// the request did not get an answer at all.
func ErrorCode(err error) string {
	var es Errors
	var he *HTTPError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &es):
		return es.Code()
	case errors.As(err, &he):
		return "HTTP"
	}
	return "TRANSPORT"
}

// HTTPError is an answer that was not a GraphQL response.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// Do runs query with vars and decodes its data into out (when not nil).
// GraphQL errors come back as Errors.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Actor != "" {
		req.Header.Set("X-Ripple-Actor", c.Actor)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors Errors          `json:"errors"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || (resp.Data == nil && len(resp.Errors) == 0) {
		return &HTTPError{Status: res.StatusCode, Body: clip(string(raw))}
	}
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.Data, out)
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
