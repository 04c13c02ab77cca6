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
	"github.com/ripple-cmdb/ripple/resolvers"
)

// Defaults of the import endpoint.
const (
	DefaultMaxImportBytes = 256 << 20
	DefaultImportTimeout  = 10 * time.Minute
)

// ImportPath is the import endpoint's route.
const ImportPath = "/api/v1/imports/{format}"

const (
	// maxMappingBytes bounds a mapping part: mappings are a few lines of
	// JSON, and this one is read into memory.
	maxMappingBytes = 1 << 20
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
// kubectl dumps — imported as one run in the order sent, and an optional
// "mapping" part (csv and json) before them. A raw body's mapping goes in
// the mapping query parameter. Nothing is read into memory but the mapping:
// each part is parsed as it arrives.
//
// Answers:
//
//	200 {"run": ImportRun, "plan": ImportPlan, "files": [...]} SUCCEEDED, PARTIAL or PLANNED
//	422 the same, for a run that FAILED on its input (run.errorFile,
//	    run.errorAt and run.errorField locate the fault)
//	409, 503, 500 the same plus "error", for a run that FAILED otherwise
//	    (CONFLICT with a concurrent run of the scope; store unavailable)
//	400 {"error": {"code", "field", "message"}} bad parameters; nothing recorded
//	405 any method but POST; 413 a body over the limit; 408 or 400 a body
//	    that could not be read to its end (the run, if recorded, is FAILED)
//
// The run record's files list is empty for multipart uploads (the part
// names are only known as they are read, after the run is recorded); the
// answer's "files" lists them.
//
// The handler sits behind the same middleware as every route (request id,
// actor, access log); authentication, when Ripple gets it, belongs in that
// chain in NewHandler, in one place, not here.
type importHandler struct {
	engine   *importers.Engine
	maxBytes int64
	timeout  time.Duration
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

func parseImportParams(r *http.Request) (importParams, error) {
	q := r.URL.Query()
	p := importParams{format: r.PathValue("format"), scope: q.Get("scope"), source: q.Get("source"), fileName: q.Get("fileName")}
	if q.Has("mapping") {
		m := q.Get("mapping")
		p.mapping = &m
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

// parseOnly hides a parser's Finish from importers.ReadInputs, which is
// called once per multipart part: the parser must finish once, after the
// last part.
type parseOnly struct{ importers.Parser }

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
	body := &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, h.maxBytes)}
	var src importSource
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		src, err = newMultipartSource(p, multipart.NewReader(body, params["boundary"]))
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
	source := p.source
	if source == "" {
		source = src.format
	}
	if err := resolvers.CheckImportSource(source, p.scope); err != nil {
		badParam(w, r, err)
		return
	}
	req := importers.Request{Format: src.format, Source: source, Scope: p.scope, Files: src.recordFiles,
		DryRun: p.dryRun, Strict: p.strict}
	run, _, runErr := h.engine.Run(r.Context(), req, src.read)
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
	case resolvers.ImportInputFault(runErr):
		status = http.StatusUnprocessableEntity
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

// importSource is a parsed request: the format's name, the reader the
// engine runs, and the names of the inputs read.
type importSource struct {
	format string
	read   importers.Read
	// recordFiles are the names known before the run starts, for its
	// record; names is every input name, filled in as they are read.
	recordFiles []string
	names       *[]string
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
	f, parser, err := resolvers.ImportParser(p.format, p.scope, mapping)
	if err != nil {
		return importSource{}, err
	}
	name := p.fileName
	if name == "" {
		name = defaultBodyName
	}
	in := importers.Input{Name: name, Size: max(size, 0), Open: func() (io.ReadCloser, error) { return body, nil }}
	names := []string{name}
	return importSource{format: f.Name, read: importers.ReadInputs(parser, []importers.Input{in}, nil),
		recordFiles: names, names: &names}, nil
}

// newMultipartSource reads the parts before the first file part (the
// mapping), builds the parser, and returns a reader that streams the file
// parts into it one after the other.
func newMultipartSource(p importParams, mr *multipart.Reader) (importSource, error) {
	if p.fileName != "" {
		return importSource{}, graph.Invalid("fileName", "fileName names a raw body; multipart parts carry their own file names")
	}
	var mapping io.Reader
	if p.mapping != nil {
		mapping = strings.NewReader(*p.mapping)
	}
	var first *multipart.Part
	for first == nil {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return importSource{}, graph.Invalid("file", "the multipart body has no file part")
		}
		if err != nil {
			return importSource{}, graph.Invalid("body", "malformed multipart body: %v", err)
		}
		switch part.FormName() {
		case "file":
			first = part
		case "mapping":
			if mapping != nil {
				return importSource{}, graph.Invalid("mapping", "give the mapping once (a mapping part or the mapping parameter)")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxMappingBytes+1))
			if err != nil {
				return importSource{}, graph.Invalid("mapping", "read the mapping part: %v", err)
			}
			if len(b) > maxMappingBytes {
				return importSource{}, graph.Invalid("mapping", "the mapping part is larger than %d bytes", maxMappingBytes)
			}
			mapping = strings.NewReader(string(b))
		default:
			return importSource{}, graph.Invalid(part.FormName(), "unexpected part %q (want file parts and an optional mapping part before them)", part.FormName())
		}
	}
	f, parser, err := resolvers.ImportParser(p.format, p.scope, mapping)
	if err != nil {
		return importSource{}, err
	}
	names := []string{}
	read := func(ctx context.Context, emit importers.Emitter) error {
		part := first
		for i := 0; part != nil; i++ {
			name := part.FileName()
			if name == "" {
				name = fmt.Sprintf("file[%d]", i)
			}
			names = append(names, name)
			in := importers.Input{Name: name, Open: func() (io.ReadCloser, error) { return part, nil }}
			if err := importers.ReadInputs(parseOnly{parser}, []importers.Input{in}, nil)(ctx, emit); err != nil {
				return err
			}
			next, err := mr.NextPart()
			switch {
			case errors.Is(err, io.EOF):
				part = nil
			case err != nil:
				return &importers.InputError{At: fmt.Sprintf("after part %d", i+1), Message: fmt.Sprintf("malformed multipart body: %v", err)}
			case next.FormName() != "file":
				return &importers.InputError{At: fmt.Sprintf("part %d", i+2), Field: next.FormName(),
					Message: fmt.Sprintf("unexpected part %q after the file parts (the mapping part goes first)", next.FormName())}
			default:
				part = next
			}
		}
		if fin, ok := parser.(importers.Finisher); ok {
			return fin.Finish(ctx, emit)
		}
		return nil
	}
	return importSource{format: f.Name, read: read, names: &names}, nil
}
