package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/events"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/itsm"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// The default rules on Prometheus-style labels, strongest first, and what
// they refuse to guess.
func TestIdentification(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		m := events.DefaultMapping()
		m.Labels = map[string]string{"cluster": "prod"} // as an event mapping file would
		svc := events.New(itsm.New(s), m)
		pod := mkCI(t, s, "web-1", graph.ClassPod, "k8s-name", "prod/Pod/shop/web-1")
		node := mkCI(t, s, "node-1", graph.ClassKubernetesNode, "k8s-name", "prod/Node//node-1")
		node2 := mkCI(t, s, "node-2", graph.ClassServer, "hostname", "node-2")
		fqdn := mkCI(t, s, "web-3", graph.ClassServer, "fqdn", "web-3.example.com", "hostname", "web-3.example.com")
		ip := mkCI(t, s, "web-4", graph.ClassServer, "ip", "10.0.0.4")
		v6 := mkCI(t, s, "web-6", graph.ClassServer, "ip", "fd00::6")
		bare := mkCI(t, s, "web-5", graph.ClassServer, "hostname", "web-5")
		k8sSvc := mkCI(t, s, "checkout", graph.ClassKubernetesService, "k8s-name", "prod/Service/shop/checkout")
		checkout := mkCI(t, s, "Checkout", graph.ClassApplicationService)
		mkCI(t, s, "node-exporter", graph.ClassServer) // a job name that is no service
		payments := mkCI(t, s, "Payments", graph.ClassApplicationService, "serial", "P-1")
		mkCI(t, s, "payments", graph.ClassBusinessService, "serial", "P-2")

		for _, tc := range []struct {
			name   string
			labels map[string]string
			ids    []graph.Identifier
			wantCI string
			rule   string
			reason string // for unmapped events, a part of the reason
		}{
			{"pod", map[string]string{"pod": "web-1", "namespace": "shop", "node": "node-1", "instance": "10.0.0.4:9100"}, nil, pod.ID, "pod", ""},
			{"node beats instance", map[string]string{"node": "node-1", "instance": "10.0.0.4:9100"}, nil, node.ID, "node", ""},
			{"node by host name", map[string]string{"node": "node-2"}, nil, node2.ID, "node-hostname", ""},
			{"instance fqdn", map[string]string{"instance": "web-3.example.com:9100"}, nil, fqdn.ID, "instance-fqdn", ""},
			{"instance URL", map[string]string{"instance": "https://web-3.example.com:8443/health"}, nil, fqdn.ID, "instance-fqdn", ""},
			{"instance ip", map[string]string{"instance": "10.0.0.4:9100"}, nil, ip.ID, "instance-ip", ""},
			{"instance ipv6", map[string]string{"instance": "[fd00::6]:9100"}, nil, v6.ID, "instance-ip", ""},
			{"instance bare host", map[string]string{"instance": "WEB-5"}, nil, bare.ID, "instance-hostname", ""},
			{"k8s service", map[string]string{"service": "checkout", "namespace": "shop"}, nil, k8sSvc.ID, "service", ""},
			{"service by name", map[string]string{"service": "checkout"}, nil, checkout.ID, "service-name", ""},
			{"job by name", map[string]string{"job": "CHECKOUT", "instance": "10.7.7.7:80"}, nil, checkout.ID, "job-name", ""},
			{"job names no service", map[string]string{"job": "node-exporter"}, nil, "", "", "no CI has name=node-exporter"},
			{"two services of one name", map[string]string{"job": "payments"}, nil, "", "", "point at 2 different CIs"},
			{"unknown instance", map[string]string{"instance": "10.9.9.9:9100"}, nil, "", "", "no CI has ip=10.9.9.9"},
			{"no usable label", map[string]string{"alertname": "Watchdog"}, nil, "", "", "no identification rule applies"},
			{"given identifiers", map[string]string{"instance": "10.0.0.4:9100"}, []graph.Identifier{{Kind: "serial", Value: "P-1"}}, payments.ID, "identifiers", ""},
			{"given identifiers of two CIs", nil, []graph.Identifier{{Kind: "serial", Value: "P-1"}, {Kind: "serial", Value: "P-2"}}, "", "", "belong to 2 different CIs"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := events.Input{Source: "test", DedupKey: tc.name, Status: events.Firing, Summary: tc.name,
					Labels: tc.labels, Identifiers: tc.ids, StartsAt: time.Now().UTC().Truncate(time.Second)}
				res, err := svc.Ingest(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				ev, err := svc.GetEvent(ctx, res.EventID)
				if err != nil {
					t.Fatal(err)
				}
				if ev.CI != tc.wantCI || ev.MappedBy != tc.rule {
					t.Fatalf("mapped to %q by %q (reason %q), want %q by %q", ev.CI, ev.MappedBy, ev.UnmappedReason, tc.wantCI, tc.rule)
				}
				if tc.reason != "" && !strings.Contains(ev.UnmappedReason, tc.reason) {
					t.Fatalf("reason %q, want it to say %q", ev.UnmappedReason, tc.reason)
				}
				if tc.wantCI == "" && res.Outcome != events.OutcomeUnmapped {
					t.Fatalf("outcome %s for an unmapped event", res.Outcome)
				}
			})
		}
	})
}
