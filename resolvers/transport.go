package resolvers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ripple-cmdb/ripple/graph"
)

// Codes of errors about the HTTP request itself, before any GraphQL runs.
// They sit beside the domain codes (graph.Code) in extensions.code.
const (
	// CodeBadRequest: the request is not a GraphQL request Ripple can read
	// (body not a JSON object, variables not an object, wrong content type).
	CodeBadRequest = "BAD_REQUEST"
	// CodeMethodNotAllowed: an HTTP method the endpoint does not take, or a
	// mutation sent with GET.
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// httpTransport is the GraphQL-over-HTTP transport: POST with a JSON body,
// or GET with the query string (queries only, so a link cannot make a
// browser run a mutation). It replaces gqlgen's GET and POST transports
// because they answer a malformed request with an error that has no code
// and quotes the whole body back; here every such answer carries a code
// and none repeats what the client sent. It takes every request the
// OPTIONS transport leaves, so no request falls through to gqlgen's
// uncoded "transport not supported".
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") == "" }

func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	start := graphql.Now()
	params, rejected := readParams(r)
	if rejected != nil {
		if rejected.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET, POST")
		}
		writeRequestError(w, rejected.status, rejected.code, rejected.message)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		writeRequestError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"GET runs queries only: send a "+string(opCtx.Operation.Operation)+" with POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, responses(ctx))
}

// requestRejection says why a request is not one Ripple can run.
type requestRejection struct {
	status  int
	code    string
	message string
}

func reject(status int, code, format string, args ...any) *requestRejection {
	return &requestRejection{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// readParams reads the operation from a GET query string or a POST JSON
// body. Messages name what is wrong and never quote the request.
func readParams(r *http.Request) (*graphql.RawParams, *requestRejection) {
	switch r.Method {
	case http.MethodGet:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "the query string is malformed")
		}
		for _, name := range []string{"query", "operationName", "variables", "extensions"} {
			if err := graph.CheckJSONText(name, name, []byte(q.Get(name))); err != nil {
				return nil, invalidText(err)
			}
		}
		return decodeParams(wireParams{
			Query:         jsonString(q.Get("query")),
			OperationName: jsonString(q.Get("operationName")),
			Variables:     json.RawMessage(q.Get("variables")),
			Extensions:    json.RawMessage(q.Get("extensions")),
		})
	case http.MethodPost:
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mediaType != "application/json" {
			return nil, reject(http.StatusUnsupportedMediaType, CodeBadRequest,
				"POST a JSON body with Content-Type: application/json")
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "could not read the request body")
		}
		body = bytes.TrimSpace(body)
		if err := graph.CheckJSONText("", "the request body", body); err != nil {
			return nil, invalidText(err)
		}
		switch {
		case len(body) == 0:
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "the request body is empty: send {\"query\": ...}")
		case body[0] == '[':
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "batched requests (a JSON array) are not supported: send one operation per request")
		case body[0] != '{':
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "the request body must be a JSON object {\"query\": ..., \"variables\": {...}}")
		}
		var wire wireParams
		if err := json.Unmarshal(body, &wire); err != nil {
			return nil, reject(http.StatusBadRequest, CodeBadRequest, "the request body is not valid JSON: %s", jsonProblem(err))
		}
		return decodeParams(wire)
	default:
		return nil, reject(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s is not allowed here: POST the operation as JSON, or GET a query", r.Method)
	}
}

// invalidText refuses a request that is not valid Unicode text, before
// the JSON decoder would turn the bad bytes into U+FFFD and the operation
// store them.
func invalidText(err error) *requestRejection {
	return reject(http.StatusBadRequest, string(graph.CodeInvalidInput), "%s", graph.ErrorMessage(err))
}

// wireParams is a request's members as sent, each checked for its JSON
// type before use.
type wireParams struct {
	Query         json.RawMessage `json:"query"`
	OperationName json.RawMessage `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

func jsonString(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

func decodeParams(wire wireParams) (*graphql.RawParams, *requestRejection) {
	p := &graphql.RawParams{}
	if err := decodeMember(wire.Query, "query", "a string", &p.Query); err != nil {
		return nil, err
	}
	if err := decodeMember(wire.OperationName, "operationName", "a string", &p.OperationName); err != nil {
		return nil, err
	}
	if err := decodeMember(wire.Variables, "variables", "a JSON object", &p.Variables); err != nil {
		return nil, err
	}
	if err := decodeMember(wire.Extensions, "extensions", "a JSON object", &p.Extensions); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeMember decodes one request member into out (a *string or a
// *map[string]any); absent and null leave it zero. Numbers stay
// json.Number, as gqlgen's own transports leave them, so that Int and
// Float arguments are coerced exactly.
func decodeMember(raw json.RawMessage, name, want string, out any) *requestRejection {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return reject(http.StatusBadRequest, CodeBadRequest, "%s must be %s", name, want)
	}
	if dec.More() {
		return reject(http.StatusBadRequest, CodeBadRequest, "%s must be %s", name, want)
	}
	return nil
}

// jsonProblem describes a JSON syntax error by its position only: the
// decoder's own text may quote the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s has the wrong type", typ.Field)
	}
	return "malformed JSON"
}

func writeRequestError(w http.ResponseWriter, status int, code, message string) {
	w.WriteHeader(status)
	writeResponse(w, &graphql.Response{Errors: gqlerror.List{{
		Message:    message,
		Extensions: map[string]any{"code": code},
	}}})
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		// A response is built from marshalled values; failing here is a bug
		// and the connection can only be dropped.
		panic(fmt.Errorf("encoding a GraphQL response: %w", err))
	}
	_, _ = w.Write(b)
}
