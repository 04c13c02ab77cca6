package metrics

import (
	"regexp"
	"sync"
)

// Label values that stand for many.
const (
	// AnonymousOperation labels operations sent without a name.
	AnonymousOperation = "anonymous"
	// OtherOperation labels operations whose name came after the first
	// MaxOperationNames, or is not a GraphQL name at all.
	OtherOperation = "other"
)

// labelSet keeps a label's cardinality bounded: the first max distinct
// values are kept as they are, every later one becomes other. A scrape
// then never grows without bound whatever clients send.
type labelSet struct {
	mu    sync.Mutex
	seen  map[string]bool
	max   int
	other string
}

func newLabelSet(max int, other string) *labelSet {
	return &labelSet{seen: map[string]bool{}, max: max, other: other}
}

func (s *labelSet) get(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return s.other
	}
	s.seen[v] = true
	return v
}

// graphQLName is what the GraphQL spec allows as a name; the cap on length
// keeps a label readable.
var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// operationLabel bounds an operation name: unnamed operations are
// anonymous, names that are not GraphQL names (an operationName a request
// made up, which the parser never checked) and names past the cap are
// other.
func (m *Metrics) operationLabel(name string) string {
	switch {
	case name == "":
		return AnonymousOperation
	case !graphQLName.MatchString(name):
		return OtherOperation
	}
	return m.operationNames.get(name)
}
