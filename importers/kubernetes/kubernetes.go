// Package kubernetes imports the JSON that `kubectl get <kinds> -o json`
// prints (a List with "items", or a single object) into Ripple CIs and
// relations.
//
// Mapping, chosen for Ripple's impact semantics:
//
//   - the cluster itself is a KubernetesCluster, identified by
//     k8s-cluster=<cluster>, and its nodes are its members;
//   - Namespace → KubernetesNamespace, Node → KubernetesNode, Deployment,
//     StatefulSet, DaemonSet and ReplicaSet → KubernetesWorkload, Pod → Pod,
//     Service → KubernetesService, Ingress → LoadBalancer,
//     PersistentVolumeClaim and PersistentVolume → StorageVolume; every other
//     kind is skipped and counted (see Parser.Skipped). Skipped objects are
//     never decoded beyond their kind, name and namespace, so a Secret's data
//     cannot end up in the graph;
//   - every object has k8s-name=<cluster>/<Kind>/<namespace>/<name> (the
//     namespace is empty for cluster-scoped objects) and, when the dump has
//     one, k8s-uid=<metadata.uid>;
//   - the machine a Node runs on is a CI of its own (see machine): a
//     VirtualMachine with the cloud-instance its providerID names, or a
//     Server, with the node's addresses and names as host identifiers, so
//     that Terraform's instance or nmap's host of the same machine is the
//     same CI;
//   - a namespace that objects are in but no dump holds is emitted from
//     their metadata (see Parser.Finish);
//   - relations: Node MEMBER_OF cluster; Node RUNS_ON its machine; Pod
//     MEMBER_OF its owning ReplicaSet, StatefulSet or DaemonSet (or, when
//     the dumps hold no such ReplicaSet, its Deployment, named from the
//     ReplicaSet's name and the pod-template-hash label) and ReplicaSet
//     MEMBER_OF its Deployment (ownerReferences; not for ReplicaSets scaled
//     to zero, which would count as healthy members); Pod RUNS_ON Node; Pod MEMBER_OF every
//     Service whose selector matches its labels; Pod DEPENDS_ON the
//     PersistentVolumeClaims it mounts; PVC DEPENDS_ON its bound
//     PersistentVolume; Ingress DEPENDS_ON the Services it routes to;
//     Namespace CONTAINS its workloads, Services, Ingresses and PVCs (not its
//     Pods, which are reached through their workloads).
//
// Only stable facts become attributes (prefix "k8s."), never resourceVersion,
// managedFields, generation, status timestamps or restart counts, so that
// re-importing an unchanged cluster yields identical items.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Identifier kinds this importer produces.
const (
	// IDCluster names the cluster CI; its value is Options.Cluster.
	IDCluster = "k8s-cluster"
	// IDUID is an object's metadata.uid, unique across clusters.
	IDUID = "k8s-uid"
	// IDName is "<cluster>/<Kind>/<namespace>/<name>": what references
	// without a uid (spec.nodeName, claimName, backends) can be resolved to.
	IDName = "k8s-name"
)

// maxClusterLen keeps the longest possible k8s-name (cluster, kind, a
// 63-byte namespace, a 253-byte name) under graph.MaxIdentifierValue.
const maxClusterLen = 128

// Options configure a Parser.
type Options struct {
	// Cluster names the cluster the dumps come from. It is the import's
	// scope and the prefix of every k8s-name identifier, so it must be the
	// same for every import of that cluster. Required.
	Cluster string
}

// Parser reads kubectl JSON dumps of one cluster. One Parser serves one
// import run: the CLI calls Parse once per file with the same Emitter, and
// the Parser remembers the Pods and Services it has seen so that a Service
// in one file selects Pods from another.
//
// Deferred links: Pod MEMBER_OF Service is the only relation that needs
// objects other than the one being read. At the end of each Parse call the
// Parser emits the memberships that became known with that file (new
// Services against every Pod seen so far, new Pods against every Service
// seen so far). After the last file every membership has therefore been
// emitted exactly once, whatever the order of the files. Finish, which the
// engine calls after the last file, emits the Namespaces no dump held
// (see Finish). A run that fails part-way should discard the Parser.
//
// Parse calls are serialized; the Parser is safe to share between
// goroutines but gains nothing from it.
type Parser struct {
	cluster string
	err     error // from New: an unusable cluster name

	mu             sync.Mutex
	clusterEmitted bool
	pods           []podEntry
	podSeen        map[graph.Identifier]bool
	services       []serviceEntry
	serviceSeen    map[graph.Identifier]bool
	// matchedPods and matchedServices count the index entries that have
	// already been matched against each other, so each pair is considered
	// once: pods[:matchedPods] × services[:matchedServices] is done.
	matchedPods, matchedServices int
	skipped                      map[string]int
	// namespaces are the namespaces objects were in, in order of first
	// sight, with where; namespaceObjects those the dumps held as
	// Namespace objects. Finish emits the others.
	namespaces       []namespaceRef
	namespaceSeen    map[string]bool
	namespaceObjects map[string]bool
	// machineIDs maps each identifier of a node's machine to the node.
	machineIDs map[graph.Identifier]graph.Identifier
}

// namespaceRef is a namespace named by an object's metadata.namespace.
type namespaceRef struct {
	name, file, at string
	emitted        bool
}

// podEntry and serviceEntry are what selector matching needs, and no more:
// the index stays small however large the dumps are.
type podEntry struct {
	namespace string
	labels    map[string]string
	id        graph.Identifier
	file, at  string
}

type serviceEntry struct {
	namespace string
	selector  map[string]string
	id        graph.Identifier
}

// New returns a Parser for the cluster named in opts. Its dynamic type is
// *Parser, whose Skipped method reports what was left out. An invalid
// cluster name (empty, longer than 128 bytes, control characters) is
// reported by every Parse call, before anything is emitted; Check reports
// it up front.
func New(opts Options) feed.Parser {
	p := &Parser{
		podSeen:          map[graph.Identifier]bool{},
		serviceSeen:      map[graph.Identifier]bool{},
		skipped:          map[string]int{},
		namespaceSeen:    map[string]bool{},
		namespaceObjects: map[string]bool{},
		machineIDs:       map[graph.Identifier]graph.Identifier{},
	}
	c := strings.TrimSpace(opts.Cluster)
	switch {
	case c == "":
		p.err = errors.New("kubernetes: a cluster name is required (it is the import scope and prefixes every k8s-name)")
	case len(c) > maxClusterLen:
		p.err = fmt.Errorf("kubernetes: cluster name is longer than %d bytes", maxClusterLen)
	case strings.IndexFunc(c, unicode.IsControl) >= 0:
		p.err = errors.New("kubernetes: cluster name must not contain control characters")
	default:
		p.cluster = c
	}
	return p
}

// Check reports whether the Parser was given a usable cluster name, so a
// command can fail before opening any file.
func (p *Parser) Check() error { return p.err }

// Skipped returns how many objects of each kind the Parser has left out
// because Ripple does not model them (Events, ConfigMaps, Secrets...).
func (p *Parser) Skipped() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.skipped))
	for k, v := range p.skipped {
		out[k] = v
	}
	return out
}

// Parse reads one kubectl JSON dump from r and emits its items and links,
// then the Service memberships that this file made known. It declares the
// cluster as the scope and emits the cluster CI on its first call.
func (p *Parser) Parse(ctx context.Context, file string, r io.Reader, emit feed.Emitter) error {
	if p.err != nil {
		return p.err
	}
	if p.cluster == "" {
		return errors.New("kubernetes: parser has no cluster name: create it with New")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := emit.Scope(p.cluster); err != nil {
		return err
	}
	if !p.clusterEmitted {
		if err := emit.Item(feed.Item{
			Class:       graph.ClassKubernetesCluster,
			Name:        p.cluster,
			Identifiers: []graph.Identifier{p.clusterID()},
		}); err != nil {
			return err
		}
		p.clusterEmitted = true
	}
	s := &stream{p: p, ctx: ctx, file: file, emit: emit}
	if err := s.run(r); err != nil {
		var ie *feed.InputError
		if errors.As(err, &ie) && ie.File == "" {
			ie.File = file
		}
		return err
	}
	return p.emitMemberships(ctx, emit, file)
}

// Finish is called by the engine after the last file of a run. It emits
// the Namespaces that objects are in but no dump held (`kubectl get
// pods,deployments,services,nodes` has none), so that Namespace CONTAINS
// links resolve, once; a Namespace only such objects vouch for carries
// its name and no more. Parse has already emitted every Service membership
// its file made known, so the memberships step Finish re-runs finds
// nothing new.
func (p *Parser) Finish(ctx context.Context, emit feed.Emitter) error {
	if p.err != nil {
		return p.err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.emitMemberships(ctx, emit, ""); err != nil {
		return err
	}
	for i := range p.namespaces {
		ns := &p.namespaces[i]
		if ns.emitted || p.namespaceObjects[ns.name] {
			continue
		}
		ns.emitted = true
		err := emit.Item(feed.Item{
			Class:       graph.ClassKubernetesNamespace,
			Name:        displayName("", ns.name),
			Identifiers: []graph.Identifier{p.nameID("Namespace", "", ns.name)},
			Attributes:  map[string]any{"k8s.kind": "Namespace"},
			At:          ns.file + ", " + ns.at + ": metadata.namespace",
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// noteNamespace remembers the first object seen in a namespace.
func (p *Parser) noteNamespace(ns, file, at string) {
	if !p.namespaceSeen[ns] {
		p.namespaceSeen[ns] = true
		p.namespaces = append(p.namespaces, namespaceRef{name: ns, file: file, at: at})
	}
}

// The engine looks for this method (feed.Finisher) after a run's last
// file; the interface is spelled out so this package does not depend on
// its name.
var _ interface {
	Finish(context.Context, feed.Emitter) error
} = (*Parser)(nil)

func (p *Parser) clusterID() graph.Identifier {
	return graph.Identifier{Kind: IDCluster, Value: p.cluster}
}

// nameID is the k8s-name identifier of an object, whether or not it is in
// the dump: references (spec.nodeName, claimName, backends) only carry names.
func (p *Parser) nameID(kind, namespace, name string) graph.Identifier {
	return graph.Identifier{Kind: IDName, Value: p.cluster + "/" + kind + "/" + namespace + "/" + name}
}

// emitMemberships links every Pod to every Service of its namespace whose
// selector its labels satisfy, for the pairs not considered before: new
// Services against all Pods, then old Services against new Pods. Pairs are
// visited in arrival order so the output is deterministic. A link is placed
// at its Pod; when that Pod came from another file than the one just read,
// its At names that file.
func (p *Parser) emitMemberships(ctx context.Context, emit feed.Emitter, file string) error {
	byNS := map[string][]int{}
	for i, pod := range p.pods {
		byNS[pod.namespace] = append(byNS[pod.namespace], i)
	}
	link := func(pod podEntry, svc serviceEntry) error {
		if !selects(svc.selector, pod.labels) {
			return nil
		}
		at := pod.at
		if pod.file != file {
			at = pod.file + ", " + at
		}
		return emit.Link(feed.Link{From: pod.id, Type: graph.RelMemberOf, To: svc.id, At: at})
	}
	for si, svc := range p.services {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, pi := range byNS[svc.namespace] {
			if si < p.matchedServices && pi < p.matchedPods {
				continue // this pair was matched by an earlier Parse
			}
			if err := link(p.pods[pi], svc); err != nil {
				return err
			}
		}
	}
	p.matchedPods, p.matchedServices = len(p.pods), len(p.services)
	return nil
}

// selects reports whether a Service selector matches a Pod's labels. An
// empty selector selects nothing: Services without one are managed by hand
// (Endpoints written by someone else) and Kubernetes does not match them.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// sortedUnique sorts and deduplicates strings in place, dropping empties.
func sortedUnique(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for _, s := range in {
		if s == "" || (len(out) > 0 && s == out[len(out)-1]) {
			continue
		}
		out = append(out, s)
	}
	return out
}
