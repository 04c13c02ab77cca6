package resolvers

import (
	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/resolvers/generated"
)

// stringsObject renders labels or annotations for the JSON scalar (an
// object, empty rather than null).
func stringsObject(kv map[string]string) map[string]any {
	out := make(map[string]any, len(kv))
	for k, v := range kv {
		out[k] = v
	}
	return out
}

// eventComplexity prices the event lists: a page of events, each with its
// incident and CI.
func eventComplexity(c *generated.ComplexityRoot) {
	c.Query.Events = func(child int, _ *bool, _ *events.Status, _ *string, _ *string, first *int, _ *string) int {
		return times(pageSize(first), child)
	}
	c.Event.History = func(child int, first *int, _ *string) int { return times(pageSize(first), child) }
	perRecord := func(child int) int { return times(recordLinks, child) }
	c.Event.Identifiers = perRecord
	c.Event.PastIncidents = perRecord
}
