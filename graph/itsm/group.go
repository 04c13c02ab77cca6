package itsm

import (
	"context"
	"slices"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/rootcause"
)

// Groups of incidents one cause explains (package graph/correlate decides
// them). The parent is a major incident: a normal incident record, with
// its SLA clocks, whose affected CI is the likely cause and whose
// Correlation says why; each child names it in its Grouping. The child
// owns the link (one record, one write), and the store indexes it as a
// tag, so a parent's children are one listing (IncidentFilter.Parent).

// Correlation is what a major incident knows about its group.
type Correlation struct {
	// CauseCI is the likely cause: the root-cause ranking's best candidate
	// for the group's incidents (also the incident's affected CI).
	CauseCI string `json:"causeCi"`
	// Score is the ranking's share of belief in CauseCI, 0..1.
	Score float64 `json:"score"`
	// SuspectedChangeID is the change on or next to the cause the ranking
	// weighed in its favour, if any: a suspicion, not causedByChangeId.
	SuspectedChangeID string `json:"suspectedChangeId,omitempty"`
	// Evidence is the ranking's evidence for the cause.
	Evidence []rootcause.Evidence `json:"evidence,omitempty"`
	// Onset is when the group's first incident opened; the group holds
	// incidents opened within Window of each other.
	Onset  time.Time     `json:"onset"`
	Window time.Duration `json:"window"`
	// UpdatedAt is when correlation last changed the group.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Grouping is why an incident is a child of a major incident.
type Grouping struct {
	ParentID string `json:"parentId"`
	// CauseCI is the group's likely cause when the child joined or last
	// changed; CI is the child's affected CI in the cause's blast radius,
	// Distance hops away along Path (cause first, CI last), hit with
	// Effect (DOWN or DEGRADED).
	CauseCI  string   `json:"causeCi"`
	CI       string   `json:"ci"`
	Distance int      `json:"distance"`
	Path     []string `json:"path"`
	Effect   string   `json:"effect"`
	// Offset is how long after the group's onset the child opened (within
	// the window).
	Offset    time.Duration `json:"offset"`
	Window    time.Duration `json:"window"`
	GroupedAt time.Time     `json:"groupedAt"`
}

// Same reports whether two groupings say the same thing, whenever made.
func (g *Grouping) Same(o *Grouping) bool {
	if g == nil || o == nil {
		return g == o
	}
	return g.ParentID == o.ParentID && g.CauseCI == o.CauseCI && g.CI == o.CI && g.Distance == o.Distance &&
		slices.Equal(g.Path, o.Path) && g.Effect == o.Effect && g.Offset == o.Offset && g.Window == o.Window
}

// Tags that let lists find major incidents and a parent's children.
const majorTag = "MAJOR"

func parentTag(id string) string { return "PARENT:" + id }

func boolCount(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// MajorInput is what correlation writes on a major incident.
type MajorInput struct {
	Title       string
	Description string
	// Impact and urgency: the highest of the children's.
	Impact, Urgency int
	// OpenedAt dates a new major incident (the group's onset).
	OpenedAt    time.Time
	Correlation Correlation
}

// OpenMajorIncident raises a major incident with the given id (correlation
// derives it from the group, so that replicas raising the same group raise
// one: a second create is a CONFLICT on "id").
func (s *Service) OpenMajorIncident(ctx context.Context, id string, in MajorInput) (*Incident, error) {
	if err := graph.CheckID("id", id); err != nil {
		return nil, err
	}
	opened := in.OpenedAt
	if now := s.Now(); opened.IsZero() || opened.After(now) {
		opened = now
	}
	inc := &Incident{ID: id, Title: in.Title, Description: in.Description, AffectedCIs: []string{in.Correlation.CauseCI},
		Impact: in.Impact, Urgency: in.Urgency, State: IncidentNew, OpenedAt: opened.UTC(), Major: true, Correlation: &in.Correlation}
	if err := s.prepareIncident(ctx, inc, true, nil); err != nil {
		return nil, err
	}
	inc.Transitions = []Transition{s.created(ctx, string(IncidentNew), inc.OpenedAt)}
	return s.saveIncident(ctx, inc, 0)
}

// UpdateMajorIncident brings a major incident's text, priority, cause and
// correlation up to date; a new cause becomes its affected CI (and moves
// its services and clocks with it). Errors: INVALID_INPUT ("id") when the
// incident is not major or is CLOSED.
func (s *Service) UpdateMajorIncident(ctx context.Context, id string, in MajorInput) (*Incident, error) {
	return s.modifyIncident(ctx, id, func(inc *Incident) error {
		if !inc.Major || inc.State == IncidentClosed {
			return graph.Invalid("id", "incident %s is not an open major incident", id)
		}
		kept := inc.AffectedCIs
		recompute := len(kept) != 1 || kept[0] != in.Correlation.CauseCI
		inc.Title, inc.Description, inc.Impact, inc.Urgency = in.Title, in.Description, in.Impact, in.Urgency
		inc.AffectedCIs = []string{in.Correlation.CauseCI}
		inc.Correlation = &in.Correlation
		return s.prepareIncident(ctx, inc, recompute, kept)
	})
}

// SetGrouping puts an incident in a group (g names the parent and why), or
// takes it out of its group (g nil). Errors: INVALID_INPUT ("id") for a
// major or CLOSED incident.
func (s *Service) SetGrouping(ctx context.Context, id string, g *Grouping) (*Incident, error) {
	return s.modifyIncident(ctx, id, func(inc *Incident) error {
		if inc.Major || inc.State == IncidentClosed {
			return graph.Invalid("id", "incident %s cannot be grouped: it is major or CLOSED", id)
		}
		inc.Grouping = g
		return nil
	})
}
