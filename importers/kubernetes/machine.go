package kubernetes

import (
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// machine returns the host a Node runs on, as an item another source's
// report of the same machine identifies: the cloud instance its
// spec.providerID names (an EC2 instance, a GCE or Azure VM), and the
// addresses and names the kubelet reported, as nmap reports hosts. It is a
// VirtualMachine when a cloud provider names it, else a Server (the class
// a host gets when nothing says more; a source that knows better refines
// it). nil when the node reports nothing to identify its machine by.
//
// The node and its machine are two CIs, node RUNS_ON machine: a Terraform
// aws_instance with that instance id, or an nmap host with that address,
// updates this machine rather than making a second one, whichever is
// imported first, and the machine's blast radius holds the node and the
// pods on it.
func machine(o *object[nodeSpec, nodeStatus]) *feed.Item {
	var ids []graph.Identifier
	class, name := graph.ClassServer, ""
	if id, n, ok := providerInstance(o.Spec.ProviderID); ok {
		ids = append(ids, id)
		class, name = graph.ClassVirtualMachine, n
	}
	seen := map[string]bool{}
	var names []string
	for _, a := range o.Status.Addresses {
		switch a.Type {
		case "InternalIP", "ExternalIP":
			if ip, ok := feed.CanonicalIP(a.Address); ok && !seen[ip] {
				seen[ip] = true
				ids = append(ids, graph.Identifier{Kind: feed.KindIP, Value: ip})
				if name == "" {
					name = ip
				}
			}
		case "Hostname", "InternalDNS", "ExternalDNS":
			names = append(names, a.Address)
		}
	}
	hostIDs := feed.HostNameIdentifiers(names)
	if len(hostIDs) > 0 && (name == "" || class == graph.ClassServer) {
		name = hostIDs[0].Value // what the machine calls itself
	}
	ids = append(ids, hostIDs...)
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > graph.MaxIdentifiers {
		ids = ids[:graph.MaxIdentifiers]
	}
	return &feed.Item{Class: class, Name: displayName("", name), Identifiers: ids}
}

// providerInstance reads a Node's spec.providerID into the cloud-instance
// identifier Terraform's instances also carry, and the instance's name:
//
//	aws:///eu-west-1a/i-0abc...                → aws:i-0abc...
//	gce://my-project/europe-west1-b/node-pool-1 → gce:my-project/europe-west1-b/node-pool-1
//	azure:///subscriptions/.../virtualMachines/vm-1 → azure:/subscriptions/.../virtualmachines/vm-1
//
// Other providers (kind://, k3s://...) name machines only within their own
// cluster, which is no identity across sources: ok is false.
func providerInstance(providerID string) (id graph.Identifier, name string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(providerID), "://")
	if !found {
		return graph.Identifier{}, "", false
	}
	rest = strings.Trim(rest, "/")
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	switch scheme {
	case "aws":
		// aws:///<zone>/<instance id>; Fargate's has more segments and no
		// instance.
		id, ok = feed.CloudInstance(feed.CloudAWS, name)
	case "gce":
		id, ok = feed.CloudInstance(feed.CloudGCE, rest)
	case "azure":
		id, ok = feed.CloudInstance(feed.CloudAzure, "/"+rest)
	}
	return id, name, ok
}

// claimMachine keeps the identifiers of a node's machine that no other
// node's machine in this run has: two nodes reporting one address (a
// misconfigured ExternalIP) must not make the run fail on an identifier
// shared by two items, and which machine the address is, nobody can tell.
// The same node read again (from another dump of the run) keeps its own.
func (p *Parser) claimMachine(node graph.Identifier, m *feed.Item) *feed.Item {
	if m == nil {
		return nil
	}
	kept := m.Identifiers[:0]
	for _, id := range m.Identifiers {
		if owner, ok := p.machineIDs[id]; ok && owner != node {
			continue
		}
		p.machineIDs[id] = node
		kept = append(kept, id)
	}
	if len(kept) == 0 {
		return nil
	}
	m.Identifiers = kept
	return m
}
