package rootcause

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ripple-cmdb/ripple/graph/impact"
)

// maxListed bounds the names spelled out in one evidence detail; the CIs
// and IncidentIDs fields always carry the full lists.
const maxListed = 5

// candidate turns a candidate's statistics into the reported form. It runs
// the propagation again: keeping every candidate's blast radius from
// scoreAll would cost memory for the many that are never reported.
func (m *model) candidate(s *stats, all []stats, r rates, score, logOdds float64) Candidate {
	c := s.node
	reached := m.w.Run(c)
	effect := make(map[int32]impact.Effect, len(reached))
	explained := map[int32]bool{}
	var missing []int32
	var symptoms []int32 // impacted CIs with an incident, nearest first
	for _, n := range reached {
		effect[n] = m.w.Effect(n)
		if o := m.obs[n]; o != nil {
			symptoms = append(symptoms, n)
			for _, i := range o.incidents {
				explained[i] = true
			}
		} else {
			missing = append(missing, n)
		}
	}
	cand := Candidate{CI: m.g.ID(c), Score: score, LogOdds: logOdds}
	for i := range m.in.Incidents {
		if explained[int32(i)] {
			cand.Explains = append(cand.Explains, m.in.Incidents[i].ID)
		}
	}
	sort.Strings(cand.Explains)

	covW, missW := s.cnt.coverageOdds(r)
	ev := []Evidence{{
		Kind:        EvidenceCoverage,
		Detail:      fmt.Sprintf("covers %d of %d incidents (%d of %d CIs it would impact raised one)", len(cand.Explains), len(m.in.Incidents), len(symptoms), len(reached)),
		Weight:      covW,
		IncidentIDs: cand.Explains,
	}}
	ev = append(ev, m.effectMatch(symptoms, effect, s.sev))
	if len(missing) > 0 {
		ev = append(ev, Evidence{
			Kind:   EvidenceMissing,
			Detail: fmt.Sprintf("%s expected to fail without incidents: %s", plural(len(missing), "CI"), m.names(missing)),
			Weight: missW,
			CIs:    m.ids(missing),
		})
	}
	if un := len(m.in.Incidents) - len(cand.Explains); un > 0 {
		var ids []string
		for i := range m.in.Incidents {
			if !explained[int32(i)] {
				ids = append(ids, m.in.Incidents[i].ID)
			}
		}
		sort.Strings(ids)
		ev = append(ev, Evidence{
			Kind:        EvidenceUnexplained,
			Detail:      fmt.Sprintf("%s not explained: %s", plural(un, "incident"), list(ids)),
			IncidentIDs: ids,
		})
	}
	if t := m.timing(s, symptoms); t != nil {
		ev = append(ev, *t)
	}
	if s.change.change >= 0 {
		ev = append(ev, m.changeEvidence(s))
	}
	weight := s.ke // the odds count once, however many problems
	for _, k := range m.pri.keOn[c] {
		ke := m.in.KnownErrors[k]
		ev = append(ev, Evidence{
			Kind:      EvidenceKnownError,
			Detail:    fmt.Sprintf("known error %s is recorded on %s", ke.ProblemID, m.name(c)),
			Weight:    weight,
			ProblemID: ke.ProblemID,
		})
		weight = 0
	}
	if d := m.distance(c, symptoms); d != nil {
		ev = append(ev, *d)
	}
	if alike := m.lookAlikes(s, all, effect); len(alike) > 0 {
		ev = append(ev, Evidence{
			Kind:   EvidenceIndistinguishable,
			Detail: fmt.Sprintf("would look exactly the same as a failure of %s: this subgraph cannot tell them apart", m.names(alike)),
			CIs:    m.ids(alike),
		})
	}
	cand.Evidence = ev
	return cand
}

func (m *model) effectMatch(symptoms []int32, effect map[int32]impact.Effect, weight float64) Evidence {
	match := 0
	var odd []string
	for _, n := range symptoms {
		e := effect[n]
		inc := &m.in.Incidents[m.obs[n].best[e]]
		if downLike(inc) == (e == impact.Down) {
			match++
			continue
		}
		if len(odd) < maxListed-2 {
			odd = append(odd, fmt.Sprintf("%s on %s looks %s where %s is predicted", inc.ID, m.name(n), looks(inc), e))
		}
	}
	detail := fmt.Sprintf("%d of %d symptoms match the predicted effect", match, len(symptoms))
	if len(odd) > 0 {
		detail += "; " + strings.Join(odd, "; ")
	}
	return Evidence{Kind: EvidenceEffectMatch, Detail: detail, Weight: weight}
}

func looks(inc *Incident) string {
	if downLike(inc) {
		return "DOWN"
	}
	return "DEGRADED"
}

func (m *model) timing(s *stats, symptoms []int32) *Evidence {
	if s.t0.IsZero() || len(symptoms) < 2 {
		return nil
	}
	var last time.Duration
	early := 0
	for _, n := range symptoms {
		f := m.obs[n].first
		switch {
		case f.IsZero():
		case f.Before(s.t0):
			early++
		default:
			last = max(last, f.Sub(s.t0))
		}
	}
	detail := fmt.Sprintf("its symptoms opened within %s of the onset at %s", duration(last), s.t0.UTC().Format("15:04:05"))
	if early > 0 {
		detail += fmt.Sprintf("; %s opened earlier and look unrelated", plural(early, "incident"))
	}
	return &Evidence{Kind: EvidenceTiming, Detail: detail, Weight: s.timing}
}

func (m *model) changeEvidence(s *stats) Evidence {
	h := s.change
	ch := &m.in.Changes[h.change]
	where := m.name(h.on)
	if h.on != s.node {
		where += fmt.Sprintf(" (next to %s)", m.name(s.node))
	}
	var when string
	switch {
	case ch.End.IsZero() || h.offset < 0:
		when = "was still in progress when the first incident opened"
	default:
		when = fmt.Sprintf("ended %s before the first incident", duration(h.offset))
	}
	detail := fmt.Sprintf("change %s on %s %s", ch.ID, where, when)
	if ch.Failed {
		detail += " and failed"
	}
	return Evidence{Kind: EvidenceChange, Detail: detail, Weight: h.logLR, ChangeID: ch.ID, CIs: []string{m.g.ID(h.on)}, Offset: h.offset}
}

// distance reports the explaining path to the nearest CI with an incident;
// symptoms come in breadth-first order, so the first explained one is it.
func (m *model) distance(c int32, symptoms []int32) *Evidence {
	for _, n := range symptoms {
		d := m.w.Distance(n)
		if d < 0 {
			continue
		}
		path := m.w.Path(n)
		if d == 0 {
			return &Evidence{Kind: EvidenceDistance, Detail: fmt.Sprintf("%s has an incident itself", m.name(c)), CIs: m.ids(path)}
		}
		names := make([]string, len(path))
		for i, p := range path {
			names[i] = m.name(p)
		}
		return &Evidence{
			Kind:   EvidenceDistance,
			Detail: fmt.Sprintf("nearest incident is %s downstream: %s", plural(int(d), "hop"), strings.Join(names, " → ")),
			CIs:    m.ids(path),
		}
	}
	return nil
}

// lookAlikes are the other candidates predicting exactly the same effects;
// fingerprints find them, a fresh propagation confirms each.
func (m *model) lookAlikes(s *stats, all []stats, effect map[int32]impact.Effect) []int32 {
	var out []int32
	for i := range all {
		o := &all[i]
		if o.node == s.node || o.shape != s.shape || o.size != s.size {
			continue
		}
		same := true
		for _, n := range m.w.Run(o.node) {
			if effect[n] != m.w.Effect(n) {
				same = false
				break
			}
		}
		if same {
			out = append(out, o.node)
		}
	}
	return out
}

func (m *model) name(n int32) string {
	id := m.g.ID(n)
	if node := m.sub.Nodes[id]; node != nil && node.CI.Name != "" {
		return node.CI.Name
	}
	return id
}

func (m *model) names(ns []int32) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = m.name(n)
	}
	return list(out)
}

func (m *model) ids(ns []int32) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = m.g.ID(n)
	}
	return out
}

func list(items []string) string {
	if len(items) <= maxListed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(items[:maxListed], ", "), len(items)-maxListed)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// duration prints a human offset: 40s, 14m, 2h05m.
func duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
