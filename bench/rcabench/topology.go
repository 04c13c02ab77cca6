package rcabench

import (
	"math/rand"

	"github.com/ripple-cmdb/ripple/graph"
)

// Topologies the harness knows, by name.
var Topologies = map[string]func(cat *graph.Catalogue, rng *rand.Rand, scale int) *World{
	"microservices": Microservices,
	"shared-db":     SharedDB,
	"redundant":     Redundant,
	"random-dag":    RandomDAG,
}

// TopologyNames lists Topologies in report order.
var TopologyNames = []string{"microservices", "shared-db", "redundant", "random-dag"}

const undocumented = 0.04 // share of CIs given a random extra dependency

// Microservices is a layered estate: business services → application
// services → a call graph of applications → pods (often in replica sets
// with a minHealthy) or VMs → Kubernetes nodes and hypervisors → top-of-rack
// switches and racks → two data centers.
func Microservices(cat *graph.Catalogue, rng *rand.Rand, scale int) *World {
	b := newBuilder(cat, rng)
	var kube, hyper []string
	for range 2 {
		dc := b.add(graph.ClassDataCenter, "dc", nil)
		for range 2 * scale {
			nodes, hv := b.rack(dc, graph.ClassKubernetesNode, "knode")
			kube, hyper = append(kube, nodes...), append(hyper, hv)
		}
	}
	var apps []string
	for range 8 * scale {
		// Replica-set members are created before their group and the group
		// before the application: failure flows from older to newer CIs.
		var runtime []string
		var group string
		switch r := rng.Float64(); {
		case r < 0.5:
			replicas := 2 + rng.Intn(3)
			for range replicas {
				pod := b.add(graph.ClassPod, "pod", nil)
				b.rel(pod, graph.RelRunsOn, b.pick(kube))
				runtime = append(runtime, pod)
			}
			group = b.add(graph.ClassCluster, "rs", map[string]any{"minHealthy": float64(max(1, replicas-1-rng.Intn(2)))})
			for _, pod := range runtime {
				b.rel(pod, graph.RelMemberOf, group)
			}
		case r < 0.8:
			pod := b.add(graph.ClassPod, "pod", nil)
			b.rel(pod, graph.RelRunsOn, b.pick(kube))
			runtime = append(runtime, pod)
		default:
			vm := b.add(graph.ClassVirtualMachine, "vm", nil)
			b.rel(vm, graph.RelHostedOn, b.pick(hyper))
			runtime = append(runtime, vm)
		}
		app := b.add(graph.ClassApplication, "app", nil)
		if group != "" {
			b.rel(app, graph.RelDependsOn, group)
		} else {
			b.rel(app, graph.RelRunsOn, runtime[0])
		}
		for _, callee := range apps {
			if rng.Float64() < 1.5/float64(len(apps)) {
				b.rel(app, graph.RelDependsOn, callee)
			}
		}
		apps = append(apps, app)
	}
	services(b, apps, 4*scale, 2*scale)
	b.noise(undocumented)
	return b.world("microservices")
}

// rack adds a rack to data center dc holding a top-of-rack switch, two
// hosts of class (named prefix-...) and a hypervisor, all depending on the
// switch. It returns the hosts and the hypervisor.
func (b *builder) rack(dc, class, prefix string) (hosts []string, hv string) {
	rack := b.add(graph.ClassRack, "rack", nil)
	b.rel(dc, graph.RelContains, rack)
	tor := b.add(graph.ClassNetworkDevice, "tor", nil)
	b.rel(rack, graph.RelContains, tor)
	for range 2 {
		h := b.add(class, prefix, nil)
		b.rel(rack, graph.RelContains, h)
		b.rel(h, graph.RelDependsOn, tor)
		hosts = append(hosts, h)
	}
	hv = b.add(graph.ClassHypervisor, "hv", nil)
	b.rel(rack, graph.RelContains, hv)
	b.rel(hv, graph.RelDependsOn, tor)
	return hosts, hv
}

// services puts application services over apps (favouring the newest, the
// front ends) and business services over those.
func services(b *builder, apps []string, nApp, nBiz int) {
	var svcs []string
	for range nApp {
		as := b.add(graph.ClassApplicationService, "svc", nil)
		for range 1 + b.rng.Intn(2) {
			b.rel(as, graph.RelDependsOn, apps[len(apps)-1-b.rng.Intn(max(1, len(apps)*2/3))])
		}
		svcs = append(svcs, as)
	}
	for range nBiz {
		bs := b.add(graph.ClassBusinessService, "biz", nil)
		for range 1 + b.rng.Intn(3) {
			b.rel(bs, graph.RelDependsOn, b.pick(svcs))
		}
	}
}

// SharedDB is many applications over a few databases: databases run on
// servers and some share a storage volume, applications run on VMs, and
// application services sit behind load balancers.
func SharedDB(cat *graph.Catalogue, rng *rand.Rand, scale int) *World {
	b := newBuilder(cat, rng)
	dc := b.add(graph.ClassDataCenter, "dc", nil)
	var servers, hypers, lbs []string
	for range 3 * scale {
		hosts, hv := b.rack(dc, graph.ClassServer, "srv")
		servers, hypers = append(servers, hosts...), append(hypers, hv)
	}
	for range 2 {
		lb := b.add(graph.ClassLoadBalancer, "lb", nil)
		b.rel(lb, graph.RelRunsOn, b.pick(servers))
		lbs = append(lbs, lb)
	}
	var vols []string
	for range 2 {
		v := b.add(graph.ClassStorageVolume, "vol", nil)
		b.rel(v, graph.RelHostedOn, b.pick(servers))
		vols = append(vols, v)
	}
	var dbs []string
	for range 2 + scale {
		db := b.add(graph.ClassDatabase, "db", nil)
		b.rel(db, graph.RelRunsOn, b.pick(servers))
		if rng.Float64() < 0.5 {
			b.rel(db, graph.RelDependsOn, b.pick(vols))
		}
		dbs = append(dbs, db)
	}
	var apps []string
	for range 10 * scale {
		vm := b.add(graph.ClassVirtualMachine, "vm", nil)
		b.rel(vm, graph.RelHostedOn, b.pick(hypers))
		app := b.add(graph.ClassApplication, "app", nil)
		b.rel(app, graph.RelRunsOn, vm)
		b.rel(app, graph.RelDependsOn, b.pick(dbs))
		if rng.Float64() < 0.3 {
			b.rel(app, graph.RelDependsOn, b.pick(dbs))
		}
		apps = append(apps, app)
	}
	var svcs []string
	for range 6 * scale {
		as := b.add(graph.ClassApplicationService, "svc", nil)
		for range 1 + rng.Intn(3) {
			b.rel(as, graph.RelDependsOn, b.pick(apps))
		}
		if rng.Float64() < 0.5 {
			b.rel(as, graph.RelDependsOn, b.pick(lbs))
		}
		svcs = append(svcs, as)
	}
	for range 2 * scale {
		bs := b.add(graph.ClassBusinessService, "biz", nil)
		for range 2 + rng.Intn(3) {
			b.rel(bs, graph.RelDependsOn, b.pick(svcs))
		}
	}
	b.noise(undocumented)
	return b.world("shared-db")
}

// Redundant is tiers of redundancy groups: each stack has a web pool, an
// API pool and a database pair, every member a VM on hypervisors shared by
// all stacks, plus a Kubernetes cluster whose nodes are members of it. A
// single member failing only degrades its group.
func Redundant(cat *graph.Catalogue, rng *rand.Rand, scale int) *World {
	b := newBuilder(cat, rng)
	dc := b.add(graph.ClassDataCenter, "dc", nil)
	var hypers []string
	for range 2 * scale {
		rack := b.add(graph.ClassRack, "rack", nil)
		b.rel(dc, graph.RelContains, rack)
		for range 2 {
			hv := b.add(graph.ClassHypervisor, "hv", nil)
			b.rel(rack, graph.RelContains, hv)
			hypers = append(hypers, hv)
		}
	}
	var kubeNodes []string
	for range 4 {
		kn := b.add(graph.ClassKubernetesNode, "knode", nil)
		b.rel(kn, graph.RelHostedOn, b.pick(hypers))
		kubeNodes = append(kubeNodes, kn)
	}
	kube := b.add(graph.ClassKubernetesCluster, "k8s", map[string]any{"minHealthyPercent": 50.0})
	for _, kn := range kubeNodes {
		b.rel(kn, graph.RelMemberOf, kube)
	}
	pool := func(prefix string, size int, attrs map[string]any) string {
		var vms []string
		for range size {
			vm := b.add(graph.ClassVirtualMachine, "vm", nil)
			b.rel(vm, graph.RelHostedOn, b.pick(hypers))
			vms = append(vms, vm)
		}
		g := b.add(graph.ClassCluster, prefix, attrs)
		for _, vm := range vms {
			b.rel(vm, graph.RelMemberOf, g)
		}
		return g
	}
	var fronts []string
	for range 3 * scale {
		dbPool := pool("dbpair", 2, nil) // needs one of two
		db := b.add(graph.ClassDatabase, "db", nil)
		b.rel(db, graph.RelDependsOn, dbPool)
		apiPool := pool("apipool", 2+rng.Intn(2), map[string]any{"minHealthy": 1.0 + float64(rng.Intn(2))})
		api := b.add(graph.ClassApplication, "api", nil)
		b.rel(api, graph.RelDependsOn, apiPool)
		b.rel(api, graph.RelDependsOn, db)
		if rng.Float64() < 0.4 {
			b.rel(api, graph.RelDependsOn, kube)
		}
		webPool := pool("webpool", 3+rng.Intn(2), map[string]any{"minHealthy": 2.0})
		web := b.add(graph.ClassApplication, "web", nil)
		b.rel(web, graph.RelDependsOn, webPool)
		b.rel(web, graph.RelDependsOn, api)
		fronts = append(fronts, web)
	}
	services(b, fronts, 3*scale, scale)
	b.noise(undocumented)
	return b.world("redundant")
}

// RandomDAG is an unstructured estate: CIs in layers from physical to
// services, each depending on one to three older CIs with whatever legal
// relation fits, and some redundancy groups over random older CIs.
func RandomDAG(cat *graph.Catalogue, rng *rand.Rand, scale int) *World {
	b := newBuilder(cat, rng)
	layers := [][]string{
		{graph.ClassDataCenter, graph.ClassRack},
		{graph.ClassServer, graph.ClassHypervisor, graph.ClassNetworkDevice, graph.ClassStorageVolume},
		{graph.ClassVirtualMachine, graph.ClassDatabase, graph.ClassCloudResource, graph.ClassLoadBalancer},
		{graph.ClassApplication, graph.ClassApplication, graph.ClassCluster, graph.ClassContainer},
		{graph.ClassApplicationService, graph.ClassBusinessService},
	}
	sizes := []int{2 * scale, 10 * scale, 14 * scale, 24 * scale, 10 * scale}
	var older []string
	for l, classes := range layers {
		var here []string
		for range sizes[l] {
			class := classes[rng.Intn(len(classes))]
			if l == 0 && len(older) == 0 {
				class = graph.ClassDataCenter
			}
			var attrs map[string]any
			if class == graph.ClassCluster {
				attrs = map[string]any{"minHealthy": float64(1 + rng.Intn(2))}
			}
			id := b.add(class, "ci", attrs)
			link(b, id, older)
			here = append(here, id)
		}
		older = append(older, here...)
	}
	b.noise(undocumented)
	return b.world("random-dag")
}

// link gives a new CI its causes among older ones, choosing a legal
// relation for each pair.
func link(b *builder, id string, older []string) {
	if len(older) == 0 {
		return
	}
	class := b.sub.Nodes[id].CI.Class
	switch class {
	case graph.ClassDataCenter:
		return
	case graph.ClassRack:
		for _, o := range older {
			if b.sub.Nodes[o].CI.Class == graph.ClassDataCenter {
				b.rel(o, graph.RelContains, id)
				return
			}
		}
		return
	case graph.ClassCluster:
		for range 2 + b.rng.Intn(3) {
			m := b.pick(older)
			if !physical(b.sub.Nodes[m].CI.Class) {
				b.rel(m, graph.RelMemberOf, id)
			}
		}
		return
	}
	for range 1 + b.rng.Intn(3) {
		o := b.pick(older)
		oc := b.sub.Nodes[o].CI.Class
		switch {
		case physical(oc):
			if !b.cat.IsService(class) {
				b.rel(o, graph.RelContains, id)
			}
		case oc == graph.ClassServer || oc == graph.ClassHypervisor || oc == graph.ClassVirtualMachine:
			if b.cat.IsService(class) {
				b.rel(id, graph.RelDependsOn, o)
			} else {
				b.rel(id, graph.RelRunsOn, o)
			}
		default:
			b.rel(id, graph.RelDependsOn, o)
		}
	}
}
