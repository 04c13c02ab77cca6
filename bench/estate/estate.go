// Package estate generates a realistic Ripple estate for benchmarks: data
// centres of racks holding switch pairs and hypervisors that run VMs on
// shared and private volumes; Kubernetes clusters whose nodes run pods
// grouped in workloads and services; databases in replica clusters;
// applications in four tiers; application and business services on top;
// and many non-propagating CONNECTS_TO links. A scale knob sets the number
// of CIs (the shape is kept), and a fixed seed makes every store get the
// same estate. Only catalogue-legal classes and relations are used, so any
// store loads it with Store.Apply.
package estate

import (
	"context"
	"fmt"
	"math/rand"

	"github.com/ripple-cmdb/ripple/graph"
)

// Role names a CI picked as a benchmark seed, from small to large blast
// radius.
type Role string

// Seed roles.
const (
	RolePod        Role = "pod"
	RoleRack       Role = "rack"
	RoleVolume     Role = "volume"
	RoleDataCentre Role = "data centre"
)

// Roles lists the seed roles in the order benchmarks report them.
var Roles = []Role{RolePod, RoleRack, RoleVolume, RoleDataCentre}

// CI is one generated CI.
type CI struct {
	Name       string
	Class      string
	Attributes map[string]any
}

// Rel is a relation between two generated CIs, by index into Estate.CIs.
type Rel struct {
	From int
	Type string
	To   int
}

// Estate is a generated estate.
type Estate struct {
	CIs   []CI
	Rels  []Rel
	Seeds map[Role]int
}

// shape is the number of each kind of CI at 100,000 CIs; Generate scales
// it. Per-parent counts (pods per node, ...) follow from these.
var shape = struct {
	dataCentres, racksPerDC, hypervisorsPerRack                       int
	vms, sharedVolumesPerDC, privateVolumes                           int
	k8sClusters, k8sNodes, pods, workloads, k8sServices, namespaces   int
	databases, dbClusters, apps, appServices, businessServices, links int
}{
	dataCentres: 4, racksPerDC: 100, hypervisorsPerRack: 10,
	vms: 13000, sharedVolumesPerDC: 4, privateVolumes: 6000,
	k8sClusters: 20, k8sNodes: 4000, pods: 32000, workloads: 8000, k8sServices: 8000, namespaces: 200,
	databases: 2000, dbClusters: 700, apps: 15000, appServices: 3000, businessServices: 300, links: 244000,
}

// Generate builds an estate of about ci CIs (at least a few hundred) from a
// fixed seed: the same arguments give the same estate.
func Generate(ci int, seed int64) *Estate {
	f := float64(ci) / 100000
	n := func(base int) int { return max(1, int(float64(base)*f+0.5)) }
	g := &gen{rng: rand.New(rand.NewSource(seed)), est: &Estate{Seeds: map[Role]int{}}}

	// Physical: data centres contain racks; a rack contains a switch pair
	// (two switches, members of a Cluster that needs one) and hypervisors,
	// which depend on the pair.
	racksPerDC := max(1, n(shape.dataCentres*shape.racksPerDC)/shape.dataCentres)
	var dcs, hypervisors []int
	hvByDC := map[int][]int{}
	for d := 0; d < shape.dataCentres; d++ {
		dc := g.ci(fmt.Sprintf("dc-%d", d), graph.ClassDataCenter, nil)
		dcs = append(dcs, dc)
		for r := 0; r < racksPerDC; r++ {
			rack := g.ci(fmt.Sprintf("dc%d-rack-%03d", d, r), graph.ClassRack, nil)
			g.rel(dc, graph.RelContains, rack)
			pair := g.ci(fmt.Sprintf("dc%d-rack-%03d-tor", d, r), graph.ClassCluster, map[string]any{"minHealthy": 1})
			for s := 0; s < 2; s++ {
				sw := g.ci(fmt.Sprintf("dc%d-rack-%03d-sw%d", d, r, s), graph.ClassNetworkDevice, map[string]any{"model": "tor-48x25g"})
				g.rel(rack, graph.RelContains, sw)
				g.rel(sw, graph.RelMemberOf, pair)
			}
			for h := 0; h < shape.hypervisorsPerRack; h++ {
				hv := g.ci(fmt.Sprintf("dc%d-rack-%03d-hv%02d", d, r, h), graph.ClassHypervisor, map[string]any{"cores": 64, "memoryGiB": 512})
				g.rel(rack, graph.RelContains, hv)
				g.rel(hv, graph.RelDependsOn, pair)
				hypervisors = append(hypervisors, hv)
				hvByDC[d] = append(hvByDC[d], hv)
			}
		}
	}
	// Each data centre has a few shared datastores; every VM boots from
	// one of its DC's and some also have a private volume.
	shared := map[int][]int{}
	for d := range dcs {
		for v := 0; v < shape.sharedVolumesPerDC; v++ {
			vol := g.ci(fmt.Sprintf("dc%d-datastore-%d", d, v), graph.ClassStorageVolume, map[string]any{"sizeGiB": 65536})
			g.rel(dcs[d], graph.RelContains, vol)
			shared[d] = append(shared[d], vol)
		}
	}
	vms := make([]int, n(shape.vms))
	for i := range vms {
		d := i % len(dcs)
		vms[i] = g.ci(fmt.Sprintf("vm-%05d", i), graph.ClassVirtualMachine, map[string]any{"vcpus": 2 + i%8, "os": "linux"})
		g.rel(vms[i], graph.RelRunsOn, g.pick(hvByDC[d]))
		g.rel(vms[i], graph.RelDependsOn, shared[d][g.rng.Intn(len(shared[d]))])
	}
	for i := 0; i < n(shape.privateVolumes); i++ {
		vol := g.ci(fmt.Sprintf("vol-%05d", i), graph.ClassStorageVolume, map[string]any{"sizeGiB": 100 + i%900})
		g.rel(vms[i%len(vms)], graph.RelDependsOn, vol)
	}

	// Kubernetes: clusters of nodes (nodes run on VMs, members of their
	// cluster), namespaces, workloads and services whose members are pods.
	// VMs are used in order: the first ones host Kubernetes nodes, the
	// next ones databases, the rest applications.
	vmNext := 0
	nextVM := func() int { v := vms[vmNext%len(vms)]; vmNext++; return v }
	clusters := make([]int, n(shape.k8sClusters))
	for c := range clusters {
		clusters[c] = g.ci(fmt.Sprintf("k8s-%02d", c), graph.ClassKubernetesCluster, map[string]any{"minHealthy": 2})
	}
	nodesOf := map[int][]int{}
	for i := 0; i < n(shape.k8sNodes); i++ {
		c := i % len(clusters)
		node := g.ci(fmt.Sprintf("k8s-%02d-node-%04d", c, i), graph.ClassKubernetesNode, nil)
		g.rel(node, graph.RelRunsOn, nextVM())
		g.rel(node, graph.RelMemberOf, clusters[c])
		nodesOf[c] = append(nodesOf[c], node)
	}
	namespaces := make([]int, n(shape.namespaces))
	for i := range namespaces {
		c := i % len(clusters)
		namespaces[i] = g.ci(fmt.Sprintf("k8s-%02d-ns-%03d", c, i), graph.ClassKubernetesNamespace, nil)
		g.rel(namespaces[i], graph.RelDependsOn, clusters[c])
	}
	workloads := make([]int, n(shape.workloads))
	services := make([]int, n(shape.k8sServices))
	for i := range workloads {
		workloads[i] = g.ci(fmt.Sprintf("wl-%05d", i), graph.ClassKubernetesWorkload, map[string]any{"minHealthy": 2})
	}
	for i := range services {
		services[i] = g.ci(fmt.Sprintf("svc-%05d", i), graph.ClassKubernetesService, map[string]any{"minHealthy": 1})
	}
	pods := n(shape.pods)
	for i := 0; i < pods; i++ {
		w := i % len(workloads)
		c := w % len(clusters)
		pod := g.ci(fmt.Sprintf("pod-%05d-%d", w, i/len(workloads)), graph.ClassPod, nil)
		g.rel(pod, graph.RelRunsOn, g.pick(nodesOf[c]))
		g.rel(pod, graph.RelMemberOf, workloads[w])
		g.rel(pod, graph.RelMemberOf, services[w%len(services)])
		g.rel(namespaces[w%len(namespaces)], graph.RelContains, pod)
		if i == pods/2 {
			g.est.Seeds[RolePod] = pod
		}
	}

	// Databases: replicas on VMs, members of a cluster that needs one.
	dbClusters := make([]int, n(shape.dbClusters))
	for i := range dbClusters {
		dbClusters[i] = g.ci(fmt.Sprintf("db-cluster-%03d", i), graph.ClassCluster, map[string]any{"minHealthy": 1})
	}
	for i := 0; i < n(shape.databases); i++ {
		db := g.ci(fmt.Sprintf("db-%04d", i), graph.ClassDatabase, map[string]any{"engine": "postgres"})
		g.rel(db, graph.RelRunsOn, nextVM())
		g.rel(db, graph.RelMemberOf, dbClusters[i%len(dbClusters)])
	}

	// Applications in four tiers: tier 0 runs on VMs or behind a
	// Kubernetes service and uses a database cluster; each higher tier
	// depends on two apps of the tier below.
	apps := n(shape.apps)
	tiers := make([][]int, 4)
	for i := 0; i < apps; i++ {
		t := min(3, i*4/apps)
		app := g.ci(fmt.Sprintf("app-t%d-%05d", t, i), graph.ClassApplication, map[string]any{"tier": t, "language": "go"})
		tiers[t] = append(tiers[t], app)
		if t == 0 {
			if i%2 == 0 {
				g.rel(app, graph.RelRunsOn, nextVM())
			} else {
				g.rel(app, graph.RelDependsOn, g.pick(services))
			}
			g.rel(app, graph.RelDependsOn, g.pick(dbClusters))
			continue
		}
		g.rel(app, graph.RelRunsOn, nextVM())
		for k := 0; k < 2; k++ {
			g.rel(app, graph.RelDependsOn, g.pick(tiers[t-1]))
		}
	}
	appServices := make([]int, n(shape.appServices))
	for i := range appServices {
		appServices[i] = g.ci(fmt.Sprintf("appsvc-%04d", i), graph.ClassApplicationService, nil)
		for k := 0; k < 2; k++ {
			g.rel(appServices[i], graph.RelDependsOn, g.pick(tiers[1+k+i%2]))
		}
	}
	for i := 0; i < n(shape.businessServices); i++ {
		bs := g.ci(fmt.Sprintf("bizsvc-%03d", i), graph.ClassBusinessService, nil)
		for k := 0; k < 3; k++ {
			g.rel(bs, graph.RelDependsOn, g.pick(appServices))
		}
	}

	// Non-propagating links between compute and software CIs.
	linkable := append(append([]int{}, vms...), hypervisors...)
	for _, tier := range tiers {
		linkable = append(linkable, tier...)
	}
	for i := 0; i < n(shape.links); i++ {
		g.rel(g.pick(linkable), graph.RelConnectsTo, g.pick(linkable))
	}

	g.est.Seeds[RoleRack] = g.find("dc0-rack-000")
	g.est.Seeds[RoleVolume] = g.find("dc0-datastore-0")
	g.est.Seeds[RoleDataCentre] = dcs[0]
	return g.est
}

type gen struct {
	rng    *rand.Rand
	est    *Estate
	byName map[string]int
	rels   map[Rel]bool
}

func (g *gen) ci(name, class string, attrs map[string]any) int {
	if g.byName == nil {
		g.byName = map[string]int{}
	}
	g.byName[name] = len(g.est.CIs)
	g.est.CIs = append(g.est.CIs, CI{Name: name, Class: class, Attributes: attrs})
	return len(g.est.CIs) - 1
}

// rel adds a relation once; duplicates and self-links (random picks) are
// dropped, as a store would merge them anyway.
func (g *gen) rel(from int, typ string, to int) {
	r := Rel{From: from, Type: typ, To: to}
	if g.rels == nil {
		g.rels = map[Rel]bool{}
	}
	if from == to || g.rels[r] {
		return
	}
	g.rels[r] = true
	g.est.Rels = append(g.est.Rels, r)
}

func (g *gen) pick(list []int) int { return list[g.rng.Intn(len(list))] }

func (g *gen) find(name string) int { return g.byName[name] }

// Loaded is an estate in one store: the store's id of each CI, by index.
type Loaded struct {
	*Estate
	IDs []string
}

// SeedID is the store id of the seed CI of a role.
func (l *Loaded) SeedID(r Role) string { return l.IDs[l.Seeds[r]] }

// Load writes the estate into st with Store.Apply, batch CIs or relations
// at a time: CIs first, then relations by id.
func (e *Estate) Load(ctx context.Context, st graph.Store, batch int) (*Loaded, error) {
	l := &Loaded{Estate: e, IDs: make([]string, 0, len(e.CIs))}
	for start := 0; start < len(e.CIs); start += batch {
		var b graph.Batch
		for _, c := range e.CIs[start:min(start+batch, len(e.CIs))] {
			name, class := c.Name, c.Class
			b.Upserts = append(b.Upserts, graph.CIInput{Name: &name, Class: &class, Attributes: c.Attributes,
				Identifiers: []graph.Identifier{{Kind: "bench", Value: name}}, Source: "estate", Scope: "bench"})
		}
		res, err := st.Apply(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("load CIs %d..: %w", start, err)
		}
		for _, ci := range res.CIs {
			l.IDs = append(l.IDs, ci.ID)
		}
	}
	for start := 0; start < len(e.Rels); start += batch {
		var b graph.Batch
		for _, r := range e.Rels[start:min(start+batch, len(e.Rels))] {
			b.Relate = append(b.Relate, graph.BatchRelation{From: graph.CIRef{ID: l.IDs[r.From]}, Type: r.Type, To: graph.CIRef{ID: l.IDs[r.To]}})
		}
		if _, err := st.Apply(ctx, b); err != nil {
			return nil, fmt.Errorf("load relations %d..: %w", start, err)
		}
	}
	return l, nil
}
