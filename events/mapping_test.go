package events_test

import (
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
)

func TestLoadMapping(t *testing.T) {
	m, err := events.LoadMapping(strings.NewReader(`{
		"labels": {"cluster": "prod-eu"},
		"rules": [{"name": "host", "identifiers": [{"kind": "hostname", "value": "{host}"}]},
		          {"name": "app", "identifiers": [{"kind": "name", "value": "{app}"}], "classes": ["Application"]}],
		"severities": {"SEV1": {"impact": 1, "urgency": 1}},
		"severityLabel": "priority"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rules) != 2 || m.Labels["cluster"] != "prod-eu" || m.SeverityLabel != "priority" {
		t.Fatalf("mapping %+v", m)
	}
	for sev, want := range map[string]events.Level{"sev1": {1, 1}, "Critical": {1, 1}, "warning": {2, 2}, "whatever": {2, 2}, "": {2, 2}} {
		if got := m.Level(sev); got != want {
			t.Errorf("Level(%q) = %+v, want %+v", sev, got, want)
		}
	}

	for _, tc := range []struct {
		name, body, field string
	}{
		{"unknown key", `{"rulez": []}`, "mapping"},
		{"no rules", `{"rules": []}`, "rules"},
		{"unnamed rule", `{"rules": [{"identifiers": [{"kind": "ip", "value": "{a}"}]}]}`, "rules[0].name"},
		{"twice", `{"rules": [{"name": "a", "identifiers": [{"kind": "ip", "value": "{a}"}]}, {"name": "a", "identifiers": [{"kind": "ip", "value": "{a}"}]}]}`, "rules[1].name"},
		{"no identifiers", `{"rules": [{"name": "a", "identifiers": []}]}`, "rules[0].identifiers"},
		{"no kind", `{"rules": [{"name": "a", "identifiers": [{"value": "{a}"}]}]}`, "rules[0].identifiers[0].kind"},
		{"no placeholder", `{"rules": [{"name": "a", "identifiers": [{"kind": "ip", "value": "10.0.0.1"}]}]}`, "rules[0].identifiers[0].value"},
		{"unclosed", `{"rules": [{"name": "a", "identifiers": [{"kind": "ip", "value": "{a"}]}]}`, "rules[0].identifiers[0].value"},
		{"bad function", `{"rules": [{"name": "a", "identifiers": [{"kind": "ip", "value": "{a:port}"}]}]}`, "rules[0].identifiers[0].value"},
		{"bad label", `{"rules": [{"name": "a", "identifiers": [{"kind": "ip", "value": "{a-b}"}]}]}`, "rules[0].identifiers[0].value"},
		{"severity out of range", `{"severities": {"bad": {"impact": 4, "urgency": 1}}}`, "severities.bad"},
		{"default out of range", `{"default": {"impact": 1, "urgency": 0}}`, "default"},
		{"label name", `{"labels": {"a b": "x"}}`, "labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := events.LoadMapping(strings.NewReader(tc.body))
			wantErr(t, err, graph.CodeInvalidInput, tc.field)
		})
	}
}
