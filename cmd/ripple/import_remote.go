package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/server"
)

// remoteAnswer is the import endpoint's JSON answer (server/import.go).
type remoteAnswer struct {
	Run   importers.Run   `json:"run"`
	Plan  *importers.Plan `json:"plan"`
	Error *struct {
		Code    string `json:"code"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"error"`
}

// importRemote posts the inputs to a running `ripple serve` as one
// multipart upload, streamed: the way to import into an embedded store a
// server holds open, or from a discovery host without store credentials.
func (c *ImportCmd) importRemote(ctx context.Context, inputs []importers.Input, stdout, stderr io.Writer) error {
	u, err := url.Parse(strings.TrimRight(c.Server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q: want http(s)://host:port", c.Server)
	}
	u = u.JoinPath("/api/v1/imports", c.Format)
	q := url.Values{}
	for k, v := range map[string]string{"scope": c.Scope, "source": c.Source} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("dryRun", strconv.FormatBool(c.DryRun))
	q.Set("strict", strconv.FormatBool(c.Strict))
	u.RawQuery = q.Encode()

	var total int64
	for _, in := range inputs {
		total += in.Size
	}
	bar := newProgressBar(stderr, c.Progress, total)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(c.writeParts(mw, inputs, bar)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	// The server's CSRF rule refuses form uploads that carry neither.
	req.Header.Set(server.CSRFHeader, "ripple-cli")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if actor := os.Getenv("RIPPLE_ACTOR"); actor != "" {
		req.Header.Set("X-Ripple-Actor", actor)
	}
	started := time.Now()
	resp, err := http.DefaultClient.Do(req)
	bar.done()
	if err != nil {
		return fmt.Errorf("post to %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	var ans remoteAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return fmt.Errorf("%s answered %s, not an import result: %w", u.Redacted(), resp.Status, err)
	}
	if ans.Run.ID == "" && ans.Error != nil {
		return fmt.Errorf("%s: %s (field %s): %s", resp.Status, ans.Error.Code, ans.Error.Field, ans.Error.Message)
	}
	plan := ans.Plan
	if plan == nil {
		plan = ans.Run.Plan
	}
	if c.Output == "json" {
		if err := writeRunJSON(stdout, ans.Run); err != nil {
			return err
		}
	} else {
		writeRunTable(stdout, ans.Run, plan, time.Since(started), c.Details)
	}
	return outcomeError(ans.Run, plan, ans.failure())
}

// failure is why the run failed, as the server put it: where the input was
// at fault when it was (the answer's error is then INVALID_INPUT, and the
// run has the location), else its error (CONFLICT, UNAVAILABLE); nil for a
// run that did not fail.
func (a remoteAnswer) failure() error {
	inputFault := a.Error == nil || a.Error.Code == string(graph.CodeInvalidInput)
	switch {
	case a.Run.Error != "" && inputFault:
		return &importers.InputError{File: a.Run.ErrorFile, At: a.Run.ErrorAt, Field: a.Run.ErrorField, Message: a.Run.Error}
	case a.Error != nil:
		return &graph.Error{Code: graph.Code(a.Error.Code), Field: a.Error.Field, Message: a.Error.Message}
	}
	return nil
}

// writeParts writes the policy, the mapping and the files as multipart
// parts, settings first so that the server can stream the files.
func (c *ImportCmd) writeParts(mw *multipart.Writer, inputs []importers.Input, bar *progressBar) error {
	for _, setting := range []struct{ part, path string }{{"policy", c.Policy}, {"mapping", c.Mapping}} {
		if setting.path == "" {
			continue
		}
		b, err := os.ReadFile(setting.path)
		if err != nil {
			return err
		}
		w, err := mw.CreateFormFile(setting.part, filepath.Base(setting.path))
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	var sent int64
	for _, in := range inputs {
		w, err := mw.CreateFormFile("file", in.Name)
		if err != nil {
			return err
		}
		rc, err := in.Open()
		if err != nil {
			return err
		}
		n, err := io.Copy(w, importers.ProgressReader(rc, func(n int64) { bar.read(sent + n) }))
		rc.Close()
		if err != nil {
			return err
		}
		sent += n
	}
	return mw.Close()
}
