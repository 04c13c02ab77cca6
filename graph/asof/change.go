package asof

import (
	"context"
	"fmt"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/graph/itsm"
)

// ChangeWindow returns the instants before and after a change that closed:
// when it actually started, and when it actually ended or, without an
// actual end, when it was closed. ok is false for a change that has not
// closed or never recorded its start: there is no "before and after" yet.
func ChangeWindow(c *itsm.Change) (start, end time.Time, ok bool) {
	if c.State != itsm.ChangeClosed || c.ActualStart == nil {
		return time.Time{}, time.Time{}, false
	}
	start = *c.ActualStart
	switch {
	case c.ActualEnd != nil:
		end = *c.ActualEnd
	default:
		for _, t := range c.Transitions {
			if t.To == string(itsm.ChangeClosed) {
				end = t.At
			}
		}
	}
	if end.IsZero() || end.Before(start) {
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// TargetsBlast is the blast radius of some targets over the graph as it
// was at one instant.
type TargetsBlast struct {
	View  *View
	Blast impact.BlastRadius
	// Missing are the targets that did not exist at the instant, left out.
	Missing []string
}

// BlastOfTargets computes the blast radius of the targets that existed at
// the view's instant (over the graph as it was then).
func BlastOfTargets(ctx context.Context, v *View, targets []string) (TargetsBlast, error) {
	out := TargetsBlast{View: v, Missing: []string{}}
	then, err := v.CIsByIDs(ctx, targets)
	if err != nil {
		return out, err
	}
	var live []string
	for _, id := range dedupe(append([]string(nil), targets...)) {
		if _, ok := then[id]; ok {
			live = append(live, id)
		} else {
			out.Missing = append(out.Missing, id)
		}
	}
	if len(live) == 0 {
		out.Blast = impact.BlastRadius{Sources: []graph.CIHead{}, Impacted: []impact.Impacted{}, Services: []impact.Impacted{}}
		return out, nil
	}
	out.Blast, err = impact.ComputeBlastRadius(ctx, v, live, 0, nil)
	if err != nil {
		return out, fmt.Errorf("blast radius as of %s: %w", stamp(v.at), err)
	}
	return out, nil
}
