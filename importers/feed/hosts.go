package feed

import (
	"net/netip"
	"strings"
	"unicode"

	"github.com/ripple-cmdb/ripple/graph"
)

// Identifier kinds every importer uses for hosts (servers, virtual
// machines, the machine under a Kubernetes node), so that one machine that
// nmap, Terraform and Kubernetes each report is one CI: the policy's
// identification rules for host classes name these kinds.
const (
	KindIP       = "ip"
	KindMAC      = "mac"
	KindHostname = "hostname"
	KindFQDN     = "fqdn"
	// KindCloudInstance names a cloud machine the way both the provider's
	// API (a Terraform state) and a Kubernetes node's spec.providerID know
	// it; see CloudInstance.
	KindCloudInstance = "cloud-instance"
)

// Cloud providers of CloudInstance.
const (
	CloudAWS   = "aws"   // id: the EC2 instance id, i-0abc...
	CloudGCE   = "gce"   // id: <project>/<zone>/<instance name>
	CloudAzure = "azure" // id: the VM's resource id, /subscriptions/...
)

// CloudInstance returns the cloud-instance identifier of a machine:
// "aws:i-0abc...", "gce:<project>/<zone>/<name>", "azure:<resource id>".
// Azure resource ids are case-insensitive and spelled with varying case
// (resourceGroups, resourcegroups), so they are lower-cased. ok is false
// for another provider or an id that cannot name one machine.
func CloudInstance(provider, id string) (graph.Identifier, bool) {
	id = strings.TrimSpace(id)
	switch provider {
	case CloudAWS:
		if !strings.HasPrefix(id, "i-") || strings.ContainsAny(id, "/ ") {
			return graph.Identifier{}, false
		}
	case CloudGCE:
		if parts := strings.Split(id, "/"); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return graph.Identifier{}, false
		}
	case CloudAzure:
		if !strings.HasPrefix(strings.ToLower(id), "/subscriptions/") {
			return graph.Identifier{}, false
		}
		id = strings.ToLower(id)
	default:
		return graph.Identifier{}, false
	}
	v := provider + ":" + id
	if len(v) > graph.MaxIdentifierValue {
		return graph.Identifier{}, false
	}
	return graph.Identifier{Kind: KindCloudInstance, Value: v}, true
}

// CanonicalIP returns an IP address in its shortest text form, so that
// ::1 and 0:0::1 are one identifier; ok is false when s is not an address.
func CanonicalIP(s string) (string, bool) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	return ip.String(), true
}

// HostNameIdentifiers returns the identifiers of a host's names, the same
// way for every source: a "hostname" per name, then an "fqdn" per dotted
// name, without trailing dots. Empty names, names with white space or
// control characters (no host is called that) and repeats are left out.
func HostNameIdentifiers(names []string) []graph.Identifier {
	var out []graph.Identifier
	seen := map[graph.Identifier]bool{}
	add := func(kind, v string) {
		id := graph.NormalizeIdentifier(graph.Identifier{Kind: kind, Value: v})
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var clean []string
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".")
		if n != "" && len(n) <= graph.MaxIdentifierValue &&
			strings.IndexFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0 {
			clean = append(clean, n)
		}
	}
	for _, n := range clean {
		add(KindHostname, n)
	}
	for _, n := range clean {
		if strings.Contains(n, ".") {
			add(KindFQDN, n)
		}
	}
	return out
}
