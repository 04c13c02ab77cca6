package model

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ripple-cmdb/ripple/graph"
)

// inputPath names the argument or input field being decoded as the client
// wrote it ("asOf", "input.plannedStart", "input.items[2].attributes"),
// without the path of the field the argument belongs to.
func inputPath(ctx context.Context) string {
	var parts []string
	first := graphql.GetPathContext(ctx)
	for pc := first; pc != nil && pc.ParentField == first.ParentField; pc = pc.Parent {
		switch {
		case pc.Index != nil:
			parts = append(parts, "["+strconv.Itoa(*pc.Index)+"]")
		case pc.Field != nil:
			parts = append(parts, *pc.Field)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		if b.Len() > 0 && !strings.HasPrefix(parts[i], "[") {
			b.WriteByte('.')
		}
		b.WriteString(parts[i])
	}
	return b.String()
}

// invalidScalar is the INVALID_INPUT error of a custom scalar the client
// sent in the wrong shape, naming where it was sent.
func invalidScalar(ctx context.Context, format string, args ...any) *graph.Error {
	return graph.Invalid(inputPath(ctx), format, args...)
}

// maxExcerpt bounds how much of a rejected value an error quotes back.
const maxExcerpt = 40

// excerpt quotes a rejected value, cut short so that an error never
// repeats a large input.
func excerpt(s string) string {
	if r := []rune(s); len(r) > maxExcerpt {
		s = string(r[:maxExcerpt]) + "…"
	}
	return strconv.Quote(s)
}

// TimeFormat is what a Time input must look like, with an example.
const TimeFormat = `an RFC 3339 date-time such as "2026-12-07T09:30:00Z" or "2026-12-07T10:30:00+01:00"`

// MarshalTime writes a time as RFC 3339 with nanoseconds, in the zone it
// carries.
func MarshalTime(t time.Time) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		graphql.MarshalTime(t).MarshalGQL(w)
		return nil
	})
}

// UnmarshalTime accepts an RFC 3339 date-time string; anything else (a
// bare date, "tomorrow", a number) is the caller's mistake, reported as
// INVALID_INPUT naming the argument and the expected format.
func UnmarshalTime(ctx context.Context, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalidScalar(ctx, "must be %s, not %s", TimeFormat, jsonKind(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidScalar(ctx, "%s is not a valid time: expected %s", excerpt(s), TimeFormat)
	}
	return t, nil
}
