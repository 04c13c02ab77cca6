package graph

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Code classifies a domain error. Exactly one place (the GraphQL error
// presenter in resolvers) turns codes into transport-level errors.
type Code string

// The error codes clients can rely on; they appear as extensions.code.
const (
	CodeNotFound     Code = "NOT_FOUND"
	CodeInvalidInput Code = "INVALID_INPUT"
	CodeConflict     Code = "CONFLICT"
	CodeUnavailable  Code = "UNAVAILABLE"
	CodeForbidden    Code = "FORBIDDEN"
	CodeInternal     Code = "INTERNAL"
)

// Error is a domain error: a code, the input field at fault (a dotted path
// such as "identifiers[1].value", empty when no single field is to blame)
// and a message meant for the person who sent the request.
type Error struct {
	Code    Code
	Field   string
	Message string
	// Details are machine-readable facts about the error for clients, by
	// name (JSON-encodable values), such as the records that hold a CI a
	// delete was refused for. The error presenter publishes them beside
	// the code and field.
	Details map[string]any
	// Err is the underlying cause, kept for logs; never shown to clients of
	// INTERNAL errors.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a formatted message.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing entity of the given kind ("CI", "relation").
func NotFound(field, kind, id string) *Error {
	return Errorf(CodeNotFound, field, "%s %q not found", kind, id)
}

// Invalid reports bad input in the named field.
func Invalid(field, format string, args ...any) *Error {
	return Errorf(CodeInvalidInput, field, format, args...)
}

// Unavailable wraps a failure to reach the backing store.
func Unavailable(err error, format string, args ...any) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, args...), Err: err}
}

// Internal wraps an unexpected failure; its detail is for logs only.
func Internal(err error, format string, args ...any) *Error {
	return &Error{Code: CodeInternal, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// INTERNAL when there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorField returns the field of the first domain error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// RenameField returns err with its domain error's field changed from "from"
// to "to", leaving any other error alone. Layers use it so that errors name
// the argument the client actually sent (a store's "id" is an API's
// "changeId").
func RenameField(err error, from, to string) error {
	var e *Error
	if !errors.As(err, &e) || e.Field != from {
		return err
	}
	renamed := *e
	renamed.Field = to
	return &renamed
}

// ErrorMessage returns the message of the first domain error in err's
// chain (without code or field), or err's text when there is none.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// FieldIndex is the path of element i of a list field, as errors name it:
// FieldIndex("identifiers", 1) is "identifiers[1]".
func FieldIndex(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// Truncate shortens input echoed in a message to at most n bytes, cut on a
// rune boundary and marked with "…", so that a huge value cannot bloat an
// error and a cut never leaves half a character.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
