// Package demo holds a realistic demo estate — an online shop on a data
// center, a Kubernetes cluster and a little cloud — so that a newcomer can
// query Ripple the moment it starts.
package demo

import (
	"context"
	"fmt"

	"github.com/ripple-cmdb/ripple/graph"
)

// IdentifierKind tags every demo CI; loading matches on it, which is what
// makes Load idempotent.
const IdentifierKind = "demo"

type ci struct {
	name, class string
	crit        graph.Criticality
	env, owner  string
	attrs       map[string]any
	ids         []graph.Identifier
}

type rel struct{ from, typ, to string }

func id(kind, value string) graph.Identifier { return graph.Identifier{Kind: kind, Value: value} }

// estate returns the demo CIs and relations. Names are unique and double as
// the "demo" identifier.
func estate() ([]ci, []rel) {
	const (
		H = graph.CriticalityHigh
		C = graph.CriticalityCritical
		M = graph.CriticalityMedium
		L = graph.CriticalityLow
	)
	cis := []ci{
		// Business and application services.
		{name: "Online Shop", class: graph.ClassBusinessService, crit: C, owner: "ecommerce", attrs: map[string]any{"description": "Customer-facing web shop"}},
		{name: "Payments", class: graph.ClassBusinessService, crit: C, owner: "finance"},
		{name: "Storefront", class: graph.ClassApplicationService, crit: H, owner: "team-web"},
		{name: "Checkout", class: graph.ClassApplicationService, crit: C, owner: "team-checkout"},
		{name: "Catalog", class: graph.ClassApplicationService, crit: H, owner: "team-catalog"},
		{name: "Payment Processing", class: graph.ClassApplicationService, crit: C, owner: "team-payments"},

		// Edge: a redundant load-balancer pair in front of a web tier.
		{name: "edge-lb-pair", class: graph.ClassCluster, crit: C, owner: "netops", attrs: map[string]any{"minHealthy": 1}},
		{name: "lb-01", class: graph.ClassLoadBalancer, crit: H, owner: "netops", ids: []graph.Identifier{id("serial", "F5-LB-0001"), id("ip", "10.10.0.11")}},
		{name: "lb-02", class: graph.ClassLoadBalancer, crit: H, owner: "netops", ids: []graph.Identifier{id("serial", "F5-LB-0002"), id("ip", "10.10.0.12")}},
		{name: "web-tier", class: graph.ClassCluster, crit: H, owner: "team-web", attrs: map[string]any{"minHealthy": 2}},
		{name: "web-01", class: graph.ClassVirtualMachine, crit: M, owner: "team-web", ids: []graph.Identifier{id("fqdn", "web-01.shop.example.com"), id("ip", "10.20.0.21")}, attrs: map[string]any{"os": "Debian 12", "cpu": 4, "memoryGiB": 8}},
		{name: "web-02", class: graph.ClassVirtualMachine, crit: M, owner: "team-web", ids: []graph.Identifier{id("fqdn", "web-02.shop.example.com"), id("ip", "10.20.0.22")}, attrs: map[string]any{"os": "Debian 12", "cpu": 4, "memoryGiB": 8}},
		{name: "web-03", class: graph.ClassVirtualMachine, crit: M, owner: "team-web", ids: []graph.Identifier{id("fqdn", "web-03.shop.example.com"), id("ip", "10.20.0.23")}, attrs: map[string]any{"os": "Debian 12", "cpu": 4, "memoryGiB": 8}},
		{name: "storefront-web", class: graph.ClassApplication, crit: H, owner: "team-web", attrs: map[string]any{"version": "4.12.0", "language": "TypeScript"}},

		// Kubernetes: three nodes, the cluster needs two; pods in replica sets.
		{name: "k8s-prod", class: graph.ClassKubernetesCluster, crit: C, owner: "platform", attrs: map[string]any{"minHealthy": 2, "version": "1.31"}},
		{name: "k8s-node-1", class: graph.ClassKubernetesNode, crit: H, owner: "platform", ids: []graph.Identifier{id("k8s-uid", "5b1f0c3e-node-0001"), id("ip", "10.30.0.11")}},
		{name: "k8s-node-2", class: graph.ClassKubernetesNode, crit: H, owner: "platform", ids: []graph.Identifier{id("k8s-uid", "5b1f0c3e-node-0002"), id("ip", "10.30.0.12")}},
		{name: "k8s-node-3", class: graph.ClassKubernetesNode, crit: H, owner: "platform", ids: []graph.Identifier{id("k8s-uid", "5b1f0c3e-node-0003"), id("ip", "10.30.0.13")}},
		{name: "checkout-api", class: graph.ClassApplication, crit: C, owner: "team-checkout", attrs: map[string]any{"version": "2.7.3", "language": "Go"}},
		{name: "checkout-api-pods", class: graph.ClassCluster, crit: C, owner: "team-checkout", attrs: map[string]any{"minHealthy": 2, "kind": "ReplicaSet"}},
		{name: "checkout-api-7d9f-a", class: graph.ClassPod, crit: M, owner: "team-checkout", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-checkout-a")}},
		{name: "checkout-api-7d9f-b", class: graph.ClassPod, crit: M, owner: "team-checkout", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-checkout-b")}},
		{name: "checkout-api-7d9f-c", class: graph.ClassPod, crit: M, owner: "team-checkout", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-checkout-c")}},
		{name: "catalog-api", class: graph.ClassApplication, crit: H, owner: "team-catalog", attrs: map[string]any{"version": "1.19.0", "language": "Java"}},
		{name: "catalog-api-pods", class: graph.ClassCluster, crit: H, owner: "team-catalog", attrs: map[string]any{"minHealthyPercent": 50, "kind": "ReplicaSet"}},
		{name: "catalog-api-5c4b-a", class: graph.ClassPod, crit: M, owner: "team-catalog", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-catalog-a")}},
		{name: "catalog-api-5c4b-b", class: graph.ClassPod, crit: M, owner: "team-catalog", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-catalog-b")}},
		{name: "payments-api", class: graph.ClassApplication, crit: C, owner: "team-payments", attrs: map[string]any{"version": "3.2.1", "language": "Kotlin"}},
		{name: "payments-api-0", class: graph.ClassPod, crit: H, owner: "team-payments", ids: []graph.Identifier{id("k8s-uid", "c0a1-pod-payments-0")}},

		// Data: an orders database with a replica set, a catalog database.
		{name: "orders-db", class: graph.ClassCluster, crit: C, owner: "dba", attrs: map[string]any{"minHealthy": 1, "engine": "PostgreSQL 16", "topology": "primary + streaming replica"}},
		{name: "orders-db-primary", class: graph.ClassDatabase, crit: C, owner: "dba", ids: []graph.Identifier{id("fqdn", "orders-db-1.shop.example.com")}, attrs: map[string]any{"engine": "PostgreSQL 16", "role": "primary"}},
		{name: "orders-db-replica", class: graph.ClassDatabase, crit: H, owner: "dba", ids: []graph.Identifier{id("fqdn", "orders-db-2.shop.example.com")}, attrs: map[string]any{"engine": "PostgreSQL 16", "role": "replica"}},
		{name: "catalog-db", class: graph.ClassDatabase, crit: H, owner: "dba", ids: []graph.Identifier{id("fqdn", "catalog-db.shop.example.com")}, attrs: map[string]any{"engine": "MySQL 8.4"}},
		{name: "db-vm-1", class: graph.ClassVirtualMachine, crit: H, owner: "dba", ids: []graph.Identifier{id("fqdn", "db-vm-1.shop.example.com"), id("ip", "10.40.0.11")}},
		{name: "db-vm-2", class: graph.ClassVirtualMachine, crit: H, owner: "dba", ids: []graph.Identifier{id("fqdn", "db-vm-2.shop.example.com"), id("ip", "10.40.0.12")}},
		{name: "db-vm-3", class: graph.ClassVirtualMachine, crit: H, owner: "dba", ids: []graph.Identifier{id("fqdn", "db-vm-3.shop.example.com"), id("ip", "10.40.0.13")}},
		{name: "san-lun-07", class: graph.ClassStorageVolume, crit: H, owner: "storage", ids: []graph.Identifier{id("serial", "NETAPP-LUN-07")}, attrs: map[string]any{"sizeGiB": 2048}},

		// Cloud.
		{name: "media-bucket", class: graph.ClassCloudResource, crit: M, owner: "team-web", env: "prod", ids: []graph.Identifier{id("cloud-id", "arn:aws:s3:::shop-media-prod")}},
		{name: "payment-gateway", class: graph.ClassCloudResource, crit: C, owner: "team-payments", ids: []graph.Identifier{id("cloud-id", "psp:gateway:eu-1")}},

		// Physical: one data center, two racks, four hypervisors, two switches.
		{name: "dc-fra-1", class: graph.ClassDataCenter, crit: C, owner: "facilities"},
		{name: "rack-a1", class: graph.ClassRack, crit: H, owner: "facilities"},
		{name: "rack-a2", class: graph.ClassRack, crit: H, owner: "facilities"},
		{name: "core-sw-1", class: graph.ClassNetworkDevice, crit: C, owner: "netops", ids: []graph.Identifier{id("serial", "CSW-0001"), id("mac", "00:1b:54:aa:00:01")}},
		{name: "hv-01", class: graph.ClassHypervisor, crit: H, owner: "infra", ids: []graph.Identifier{id("serial", "DL380-0001")}},
		{name: "hv-02", class: graph.ClassHypervisor, crit: H, owner: "infra", ids: []graph.Identifier{id("serial", "DL380-0002")}},
		{name: "hv-03", class: graph.ClassHypervisor, crit: H, owner: "infra", ids: []graph.Identifier{id("serial", "DL380-0003")}},
		{name: "hv-04", class: graph.ClassHypervisor, crit: H, owner: "infra", ids: []graph.Identifier{id("serial", "DL380-0004")}},
		{name: "monitoring", class: graph.ClassApplication, crit: L, owner: "sre"},
	}
	D, R, Hd, Mb, Ct, Cn := graph.RelDependsOn, graph.RelRunsOn, graph.RelHostedOn, graph.RelMemberOf, graph.RelContains, graph.RelConnectsTo
	rels := []rel{
		{"Online Shop", D, "Storefront"}, {"Online Shop", D, "Checkout"}, {"Online Shop", D, "Catalog"},
		{"Payments", D, "Payment Processing"},
		{"Checkout", D, "Payment Processing"},

		{"Storefront", D, "storefront-web"}, {"storefront-web", D, "web-tier"}, {"storefront-web", D, "edge-lb-pair"},
		{"storefront-web", D, "media-bucket"}, {"storefront-web", D, "catalog-api"},
		{"lb-01", Mb, "edge-lb-pair"}, {"lb-02", Mb, "edge-lb-pair"},
		{"web-01", Mb, "web-tier"}, {"web-02", Mb, "web-tier"}, {"web-03", Mb, "web-tier"},
		{"web-01", Hd, "hv-01"}, {"web-02", Hd, "hv-02"}, {"web-03", Hd, "hv-03"},

		{"Checkout", D, "checkout-api"}, {"checkout-api", D, "checkout-api-pods"}, {"checkout-api", D, "orders-db"},
		{"checkout-api-7d9f-a", Mb, "checkout-api-pods"}, {"checkout-api-7d9f-b", Mb, "checkout-api-pods"}, {"checkout-api-7d9f-c", Mb, "checkout-api-pods"},
		{"checkout-api-7d9f-a", R, "k8s-node-1"}, {"checkout-api-7d9f-b", R, "k8s-node-2"}, {"checkout-api-7d9f-c", R, "k8s-node-3"},
		{"Catalog", D, "catalog-api"}, {"catalog-api", D, "catalog-api-pods"}, {"catalog-api", D, "catalog-db"},
		{"catalog-api-5c4b-a", Mb, "catalog-api-pods"}, {"catalog-api-5c4b-b", Mb, "catalog-api-pods"},
		{"catalog-api-5c4b-a", R, "k8s-node-1"}, {"catalog-api-5c4b-b", R, "k8s-node-3"},
		{"Payment Processing", D, "payments-api"}, {"payments-api", D, "payments-api-0"}, {"payments-api", D, "payment-gateway"},
		{"payments-api-0", R, "k8s-node-2"},
		{"k8s-node-1", Mb, "k8s-prod"}, {"k8s-node-2", Mb, "k8s-prod"}, {"k8s-node-3", Mb, "k8s-prod"},
		{"checkout-api-7d9f-a", D, "k8s-prod"}, {"checkout-api-7d9f-b", D, "k8s-prod"}, {"checkout-api-7d9f-c", D, "k8s-prod"},
		{"catalog-api-5c4b-a", D, "k8s-prod"}, {"catalog-api-5c4b-b", D, "k8s-prod"}, {"payments-api-0", D, "k8s-prod"},
		{"k8s-node-1", Hd, "hv-02"}, {"k8s-node-2", Hd, "hv-03"}, {"k8s-node-3", Hd, "hv-04"},

		{"orders-db-primary", Mb, "orders-db"}, {"orders-db-replica", Mb, "orders-db"},
		{"orders-db-primary", R, "db-vm-1"}, {"orders-db-replica", R, "db-vm-2"}, {"catalog-db", R, "db-vm-3"},
		{"db-vm-1", Hd, "hv-01"}, {"db-vm-2", Hd, "hv-04"}, {"db-vm-3", Hd, "hv-04"},
		{"db-vm-1", D, "san-lun-07"}, {"db-vm-2", D, "san-lun-07"},

		{"dc-fra-1", Ct, "rack-a1"}, {"dc-fra-1", Ct, "rack-a2"},
		{"rack-a1", Ct, "hv-01"}, {"rack-a1", Ct, "hv-02"}, {"rack-a2", Ct, "hv-03"}, {"rack-a2", Ct, "hv-04"},
		{"rack-a1", Ct, "core-sw-1"}, {"rack-a1", Ct, "lb-01"}, {"rack-a2", Ct, "lb-02"},
		{"hv-01", D, "core-sw-1"}, {"hv-02", D, "core-sw-1"}, {"hv-03", D, "core-sw-1"}, {"hv-04", D, "core-sw-1"},
		{"monitoring", Cn, "core-sw-1"}, {"monitoring", R, "hv-01"},
	}
	return cis, rels
}

// Batch returns the demo estate as one batch. Every CI carries a "demo"
// identifier, so applying the batch again changes nothing.
func Batch() graph.Batch {
	cis, rels := estate()
	var b graph.Batch
	for _, c := range cis {
		env := c.env
		if env == "" {
			env = "prod"
		}
		in := graph.CIInput{
			Name: ptr(c.name), Class: ptr(c.class), Criticality: ptr(c.crit),
			Environment: ptr(env), Owner: ptr(c.owner), Status: ptr(graph.StatusInService),
			Attributes:  c.attrs,
			Identifiers: append([]graph.Identifier{id(IdentifierKind, c.name)}, c.ids...),
		}
		b.Upserts = append(b.Upserts, in)
	}
	for _, r := range rels {
		b.Relate = append(b.Relate, graph.BatchRelation{From: ref(r.from), Type: r.typ, To: ref(r.to)})
	}
	return b
}

// Load applies the demo estate to the store in one transaction, audited as
// written by "demo".
func Load(ctx context.Context, s graph.Store) (graph.BatchResult, error) {
	res, err := s.Apply(graph.WithActor(ctx, "demo"), Batch())
	if err != nil {
		return res, fmt.Errorf("load demo estate: %w", err)
	}
	return res, nil
}

func ref(name string) graph.CIRef {
	i := id(IdentifierKind, name)
	return graph.CIRef{Identifier: &i}
}

func ptr[T any](v T) *T { return &v }
