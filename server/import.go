package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// Defaults of the import endpoint.
const (
	DefaultMaxImportBytes = 256 << 20
	DefaultImportTimeout  = 10 * time.Minute
	// DefaultImportIdleTimeout is how long an upload may send nothing.
	DefaultImportIdleTimeout = 30 * time.Second
)

// ImportPath is the import endpoint's route.
const ImportPath = "/api/v1/imports/{format}"

const (
	// maxSettingBytes bounds a mapping or policy part: they are a few
	// lines of JSON, read into memory.
	maxSettingBytes = 1 << 20
	// defaultBodyName names a raw body in the run record and in errors
	// when the client gives no fileName.
	defaultBodyName = "body"
	// writeSlack is the time left to write the answer after the import's
	// deadline.
	writeSlack = 15 * time.Second
)

// importHandler is POST /api/v1/imports/{format}, for discovery agents that
// cannot speak GraphQL: the same engine as the importFile mutation, fed by a
// streamed request body instead of a GraphQL string.
//
//	POST /api/v1/imports/{format}?scope=&source=&dryRun=&strict=&fileName=&mapping=
//
// The body is either the file itself (any Content-Type), or
// multipart/form-data with one or more "file" parts — say, a directory of
// kubectl dumps — imported as one run in the order sent, an optional
// "mapping" part (csv and json) and an optional "policy" part (a policy
// file, as for ripple import --policy, over the server's policy for this
// run only), in any order (see multipart.go). A raw body's mapping goes in
// the mapping query parameter. Nothing is read into memory but the mapping
// and the policy: file parts are parsed as they arrive, or spooled to a
// temporary file while a mapping they need has not arrived yet.
//
// Answers:
//
//	200 {"run": ImportRun, "plan": ImportPlan, "files": [...]} SUCCEEDED, PARTIAL or PLANNED
//	422 the same plus "error" with code INVALID_INPUT, for a run that
//	    FAILED on its input (invalid UTF-8 included; run.errorFile,
//	    run.errorAt and run.errorField locate the fault, nothing is written)
//	409, 503, 500 the same plus "error", for a run that FAILED otherwise
//	    (CONFLICT with a concurrent run of the scope; store unavailable)
//	400 {"error": {"code", "field", "message"}} bad parameters; nothing recorded
//	405 any method but POST; 413 a body over the limit; 408 (an upload
//	    idle for longer than the idle timeout) or 400 a body that could not
//	    be read to its end: nothing is recorded for any of them
//
// A run is recorded only once the upload is read and parsed
// (importers.Engine.Run), so uploads cut short leave no record, RUNNING or
// otherwise. A multipart upload's part names are only known as they are
// read: the record lists them, and so does the answer's "files".
//
// The handler sits behind the same middleware as every route (request id,
// actor, access log); authentication, when Ripple gets it, belongs in that
// chain in NewHandler, in one place, not here.
type importHandler struct {
	imports  importRunner
	maxBytes int64
	timeout  time.Duration
	idle     time.Duration
}

// idleBody moves the connection's read deadline before each read of the
// body: idle from now, never past the import's deadline.
type idleBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	deadline time.Time
	finished bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	if !b.finished && b.idle > 0 {
		// A writer that cannot move its deadlines (a test recorder)
		// keeps its own.
		d := time.Now().Add(b.idle)
		if d.After(b.deadline) {
			d = b.deadline
		}
		_ = b.rc.SetReadDeadline(d)
	}
	return b.ReadCloser.Read(p)
}

// done puts the import's deadline back once the body is read.
func (b *idleBody) done() {
	b.finished = true
	_ = b.rc.SetReadDeadline(b.deadline)
}

// importRunner is what the handler needs of the import engine.
type importRunner interface {
	Run(ctx context.Context, req importers.Request, read importers.Read) (importers.Run, *importers.Plan, error)
}

// importAnswer is the body of every answer about a recorded run.
type importAnswer struct {
	// Run is the record without its plan, which Plan carries.
	Run   importers.Run   `json:"run"`
	Plan  *importers.Plan `json:"plan"`
	Files []string        `json:"files"`
	Error *importError    `json:"error,omitempty"`
}

type importError struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeImportError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, map[string]*importError{"error": {Code: code, Field: field, Message: msg}})
}

// badParam answers a domain error about the request's parameters.
func badParam(w http.ResponseWriter, r *http.Request, err error) {
	status, e := errorStatus(r, err)
	writeJSON(w, status, map[string]*importError{"error": e})
}

// errorStatus maps an error to an HTTP status and what the client may see
// of it; INTERNAL details go to the log only.
func errorStatus(r *http.Request, err error) (int, *importError) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return http.StatusServiceUnavailable, &importError{Code: string(graph.CodeUnavailable), Message: "the request was cancelled or timed out"}
	}
	d, ok := asDomain(err)
	if !ok || d.Code == graph.CodeInternal {
		hlog.FromRequest(r).Error().Err(err).Msg("internal error in import")
		return http.StatusInternalServerError, &importError{Code: string(graph.CodeInternal), Message: "internal error"}
	}
	e := &importError{Code: string(d.Code), Field: d.Field, Message: d.Message}
	switch d.Code {
	case graph.CodeInvalidInput:
		return http.StatusBadRequest, e
	case graph.CodeNotFound:
		return http.StatusNotFound, e
	case graph.CodeConflict:
		return http.StatusConflict, e
	case graph.CodeForbidden:
		return http.StatusForbidden, e
	default:
		hlog.FromRequest(r).Warn().Err(err).Msg("import failed")
		return http.StatusServiceUnavailable, e
	}
}

// importParams are the query parameters.
type importParams struct {
	format, scope, source, fileName string
	mapping                         *string
	dryRun, strict                  bool
}

func (p importParams) spec(mapping io.Reader) formats.Spec {
	return formats.Spec{Format: p.format, Source: p.source, Scope: p.scope, Mapping: mapping}
}

func parseImportParams(r *http.Request) (importParams, error) {
	q := r.URL.Query()
	p := importParams{format: r.PathValue("format"), scope: q.Get("scope"), source: q.Get("source"), fileName: q.Get("fileName")}
	if q.Has("mapping") {
		m := q.Get("mapping")
		p.mapping = &m
	}
	for _, name := range []string{"scope", "source", "fileName", "mapping"} {
		if err := graph.CheckJSONText(name, name, []byte(q.Get(name))); err != nil {
			return p, err
		}
	}
	var err error
	if p.dryRun, err = boolParam(q, "dryRun"); err != nil {
		return p, err
	}
	if p.strict, err = boolParam(q, "strict"); err != nil {
		return p, err
	}
	return p, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, graph.Invalid(name, "%s must be true or false, not %q", name, graph.Truncate(v, 40))
	}
	return b, nil
}

// limitedBody is http.MaxBytesReader that remembers whether the limit was
// hit or reading failed: parsers report read errors as input errors or
// bare errors, which would otherwise turn an oversized or broken upload
// into a 422 about its content or a 500.
type limitedBody struct {
	io.ReadCloser
	exceeded bool
	failed   error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var maxErr *http.MaxBytesError
	switch {
	case err == nil || errors.Is(err, io.EOF):
	case errors.As(err, &maxErr):
		b.exceeded = true
	case b.failed == nil:
		b.failed = err
	}
	return n, err
}

// readFailure answers an upload that could not be read to its end.
func readFailure(r *http.Request, err error) (int, *importError) {
	hlog.FromRequest(r).Info().Err(err).Msg("reading an import body failed")
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusRequestTimeout, &importError{Code: "REQUEST_TIMEOUT", Message: "the request body was not received in time"}
	}
	return http.StatusBadRequest, &importError{Code: "BAD_REQUEST", Message: "could not read the request body"}
}

func (h *importHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeImportError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "", r.Method+" is not allowed here: POST the file to import")
		return
	}
	// The server's read and write timeouts are sized for GraphQL requests;
	// an upload of a large scan gets the import timeout instead. A writer
	// that cannot move its deadlines (a test recorder) keeps its own.
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(h.timeout)
	if err := errors.Join(rc.SetReadDeadline(deadline), rc.SetWriteDeadline(deadline.Add(writeSlack))); err != nil {
		hlog.FromRequest(r).Debug().Err(err).Msg("cannot extend the connection deadlines for an import")
	}

	p, err := parseImportParams(r)
	if err != nil {
		badParam(w, r, err)
		return
	}
	if r.ContentLength > h.maxBytes {
		h.tooLarge(w)
		return
	}
	// An upload must keep moving: each read gets the idle deadline (within
	// the import's), so a client that stalls is cut off in seconds, not
	// after the whole import timeout, and holds nothing but its connection
	// meanwhile (no run is recorded before its input is read).
	idle := &idleBody{ReadCloser: r.Body, rc: rc, idle: h.idle, deadline: deadline}
	body := &limitedBody{ReadCloser: http.MaxBytesReader(w, idle, h.maxBytes)}
	var src importSource
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		src, err = newMultipartSource(p, multipart.NewReader(body, params["boundary"]))
		defer src.cleanup()
		if err != nil {
			switch {
			case body.exceeded:
				h.tooLarge(w)
			case body.failed != nil:
				status, e := readFailure(r, body.failed)
				writeJSON(w, status, map[string]*importError{"error": e})
			default:
				badParam(w, r, err)
			}
			return
		}
	} else {
		src, err = newRawSource(p, body, r.ContentLength)
		if err != nil {
			badParam(w, r, err)
			return
		}
	}
	req := src.req
	req.Files, req.DryRun, req.Strict = src.recordFiles, p.dryRun, p.strict
	read := func(ctx context.Context, emit importers.Emitter) error {
		err := src.read(ctx, emit)
		// Planning and applying may take longer than the idle deadline;
		// an expired read deadline would cancel the request.
		idle.done()
		if err != nil && (body.exceeded || body.failed != nil) {
			// The upload was cut short: no run is recorded for it.
			return fmt.Errorf("%w: %w", importers.ErrUnread, err)
		}
		return err
	}
	run, _, runErr := h.imports.Run(r.Context(), req, read)
	if run.Finished == nil {
		// Never recorded: there is no run to show.
		if runErr == nil {
			runErr = graph.Internal(nil, "import run %s did not finish", run.ID)
		}
		if body.exceeded {
			h.tooLarge(w)
			return
		}
		if body.failed != nil {
			status, e := readFailure(r, body.failed)
			writeJSON(w, status, map[string]*importError{"error": e})
			return
		}
		badParam(w, r, runErr)
		return
	}
	ans := importAnswer{Run: run, Plan: run.Plan, Files: src.files()}
	ans.Run.Plan = nil
	status := http.StatusOK
	switch {
	case runErr == nil:
	case body.failed != nil:
		status, ans.Error = readFailure(r, body.failed)
	case body.exceeded:
		status = http.StatusRequestEntityTooLarge
		ans.Error = &importError{Code: "REQUEST_TOO_LARGE", Message: fmt.Sprintf("request body is larger than the limit of %d bytes", h.maxBytes)}
	case formats.InputFault(runErr):
		// The code a client switches on, as every other failed answer
		// carries one; the run locates the fault (file, line, field) and
		// keeps only a bounded excerpt of the input in its message.
		status = http.StatusUnprocessableEntity
		ans.Error = &importError{Code: string(graph.CodeInvalidInput), Field: run.ErrorField, Message: run.Error}
	default:
		status, ans.Error = errorStatus(r, runErr)
	}
	hlog.FromRequest(r).Info().Str("run", run.ID).Str("format", run.Format).Str("source", run.Source).
		Str("scope", run.Scope).Str("outcome", run.Outcome).Msg("import")
	writeJSON(w, status, ans)
}

func (h *importHandler) tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	writeImportError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
		"", fmt.Sprintf("request body is larger than the limit of %d bytes", h.maxBytes))
}

// importSource is a parsed request: the prepared engine request, the
// reader the engine runs, and the names of the inputs read.
type importSource struct {
	req  importers.Request
	read importers.Read
	// recordFiles are the names known before the run starts, for its
	// record; names is every input name, filled in as they are read.
	recordFiles []string
	names       *[]string
	// cleanup removes what reading left behind (spooled parts); nil when
	// there is nothing to remove.
	cleanup func()
}

func (s importSource) files() []string {
	if s.names == nil || *s.names == nil {
		return []string{}
	}
	return *s.names
}

// newRawSource imports the whole body as one file.
func newRawSource(p importParams, body io.ReadCloser, size int64) (importSource, error) {
	var mapping io.Reader
	if p.mapping != nil {
		mapping = strings.NewReader(*p.mapping)
	}
	prep, err := formats.Prepare(p.spec(mapping))
	if err != nil {
		return importSource{}, err
	}
	name := p.fileName
	if name == "" {
		name = defaultBodyName
	}
	in := importers.Input{Name: name, Size: max(size, 0), Open: func() (io.ReadCloser, error) { return body, nil }}
	names := []string{name}
	return importSource{req: prep.Request, read: importers.ReadInputs(prep.Parser, []importers.Input{in}, nil),
		recordFiles: names, names: &names}, nil
}
