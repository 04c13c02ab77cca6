package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

const cluster = "lab"

// recorder is an Emitter that keeps everything, in order.
type recorder struct {
	scopes []string
	items  []feed.Item
	links  []feed.Link
}

func (r *recorder) Scope(s string) error    { r.scopes = append(r.scopes, s); return nil }
func (r *recorder) Item(it feed.Item) error { r.items = append(r.items, it); return nil }
func (r *recorder) Link(l feed.Link) error  { r.links = append(r.links, l); return nil }

// parseFiles runs one Parser over the files, in order, as the CLI does.
func parseFiles(t testing.TB, files ...string) (*recorder, *Parser) {
	t.Helper()
	p := New(Options{Cluster: cluster}).(*Parser)
	rec := &recorder{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Parse(context.Background(), f, bytes.NewReader(b), rec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return rec, p
}

func parseString(input string) (*recorder, error) {
	rec := &recorder{}
	err := New(Options{Cluster: cluster}).Parse(context.Background(), "in.json", strings.NewReader(input), rec)
	return rec, err
}

// byID indexes items by every identifier they carry.
func byID(items []feed.Item) map[graph.Identifier]feed.Item {
	m := map[graph.Identifier]feed.Item{}
	for _, it := range items {
		for _, id := range it.Identifiers {
			m[id] = it
		}
	}
	return m
}

func name(kind, ns, n string) graph.Identifier {
	return graph.Identifier{Kind: IDName, Value: cluster + "/" + kind + "/" + ns + "/" + n}
}

func mustItem(t *testing.T, rec *recorder, kind, ns, n string) feed.Item {
	t.Helper()
	it, ok := byID(rec.items)[name(kind, ns, n)]
	if !ok {
		t.Fatalf("no item %s %s/%s", kind, ns, n)
	}
	return it
}

// linkKey describes a link by the classes and names at its ends, which do
// not change when the fixtures are generated again (uids and pod names do).
type linkKey struct{ fromClass, typ, toClass string }

// resolve checks that both ends of every link are items of the parse and
// tallies the links by class pair.
func resolve(t *testing.T, rec *recorder) map[linkKey]int {
	t.Helper()
	idx := byID(rec.items)
	out := map[linkKey]int{}
	for _, l := range rec.links {
		from, ok1 := idx[l.From]
		to, ok2 := idx[l.To]
		if !ok1 || !ok2 {
			t.Errorf("link %v %s %v (%s): an end is not an item of the dump", l.From, l.Type, l.To, l.At)
			continue
		}
		out[linkKey{from.Class, l.Type, to.Class}]++
	}
	return out
}

func classCounts(items []feed.Item) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		out[it.Class]++
	}
	return out
}

func kindCounts(items []feed.Item) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		if k, ok := it.Attributes["k8s.kind"].(string); ok {
			out[k]++
		}
	}
	return out
}

func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string
		classes map[string]int
		kinds   map[string]int
		links   map[linkKey]int
	}{{
		name:  "full cluster",
		files: []string{"cluster.json"},
		classes: map[string]int{
			graph.ClassKubernetesCluster: 1, graph.ClassKubernetesNode: 3, graph.ClassKubernetesNamespace: 7,
			graph.ClassKubernetesWorkload: 7, graph.ClassPod: 11, graph.ClassKubernetesService: 7,
			graph.ClassLoadBalancer: 1, graph.ClassStorageVolume: 6,
			// The nodes' machines: two EC2 instances, node-3's unknown host.
			graph.ClassVirtualMachine: 2, graph.ClassServer: 1,
		},
		kinds: map[string]int{
			"Node": 3, "Namespace": 7, "Deployment": 2, "StatefulSet": 1, "DaemonSet": 1, "ReplicaSet": 3,
			"Pod": 11, "Service": 7, "Ingress": 1, "PersistentVolumeClaim": 3, "PersistentVolume": 3,
		},
		links: map[linkKey]int{
			{graph.ClassKubernetesNode, graph.RelMemberOf, graph.ClassKubernetesCluster}: 3,
			{graph.ClassKubernetesNode, graph.RelRunsOn, graph.ClassVirtualMachine}:      2,
			{graph.ClassKubernetesNode, graph.RelRunsOn, graph.ClassServer}:              1,
			// Every pod but the bare debug-shell has an owner.
			{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesWorkload}: 10,
			// The current web ReplicaSet and cart's; the old web one is at
			// zero replicas and no member.
			{graph.ClassKubernetesWorkload, graph.RelMemberOf, graph.ClassKubernetesWorkload}: 2,
			{graph.ClassPod, graph.RelRunsOn, graph.ClassKubernetesNode}:                      11,
			// web 3, web-public 3, cart 2, postgres 2, node-exporter 3;
			// kubernetes and payments-gateway have no selector.
			{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesService}: 13,
			// web pods mount uploads, postgres pods their pgdata claims.
			{graph.ClassPod, graph.RelDependsOn, graph.ClassStorageVolume}: 5,
			// PVC → PV, three bound claims.
			{graph.ClassStorageVolume, graph.RelDependsOn, graph.ClassStorageVolume}:           3,
			{graph.ClassLoadBalancer, graph.RelDependsOn, graph.ClassKubernetesService}:        2,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassKubernetesWorkload}: 7,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassKubernetesService}:  7,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassLoadBalancer}:       1,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassStorageVolume}:      3,
		},
	}, {
		name:  "after deleting deployment shop/cart and node node-3",
		files: []string{"cluster-after.json"},
		classes: map[string]int{
			graph.ClassKubernetesCluster: 1, graph.ClassKubernetesNode: 2, graph.ClassKubernetesNamespace: 7,
			graph.ClassKubernetesWorkload: 5, graph.ClassPod: 8, graph.ClassKubernetesService: 7,
			graph.ClassLoadBalancer: 1, graph.ClassStorageVolume: 6, graph.ClassVirtualMachine: 2,
		},
		kinds: map[string]int{
			"Node": 2, "Namespace": 7, "Deployment": 1, "StatefulSet": 1, "DaemonSet": 1, "ReplicaSet": 2,
			"Pod": 8, "Service": 7, "Ingress": 1, "PersistentVolumeClaim": 3, "PersistentVolume": 3,
		},
		links: map[linkKey]int{
			{graph.ClassKubernetesNode, graph.RelMemberOf, graph.ClassKubernetesCluster}:      2,
			{graph.ClassKubernetesNode, graph.RelRunsOn, graph.ClassVirtualMachine}:           2,
			{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesWorkload}:                7,
			{graph.ClassKubernetesWorkload, graph.RelMemberOf, graph.ClassKubernetesWorkload}: 1,
			{graph.ClassPod, graph.RelRunsOn, graph.ClassKubernetesNode}:                      8,
			// web 3, web-public 3, postgres 2, node-exporter 2.
			{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesService}:        10,
			{graph.ClassPod, graph.RelDependsOn, graph.ClassStorageVolume}:           5,
			{graph.ClassStorageVolume, graph.RelDependsOn, graph.ClassStorageVolume}: 3,
			// The Ingress still routes /cart to the cart Service.
			{graph.ClassLoadBalancer, graph.RelDependsOn, graph.ClassKubernetesService}:        2,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassKubernetesWorkload}: 5,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassKubernetesService}:  7,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassLoadBalancer}:       1,
			{graph.ClassKubernetesNamespace, graph.RelContains, graph.ClassStorageVolume}:      3,
		},
	}, {
		// The per-kind dumps, Pods and PVCs before the Services, Nodes and
		// PVs they point to: the same graph as the single dump.
		name: "per-kind files",
		files: []string{"kinds/pods.json", "kinds/pvc.json", "kinds/ingresses.json", "kinds/services.json",
			"kinds/replicasets.json", "kinds/deployments.json", "kinds/statefulsets.json", "kinds/daemonsets.json",
			"kinds/namespaces.json", "kinds/nodes.json", "kinds/pv.json"},
		classes: map[string]int{
			graph.ClassKubernetesCluster: 1, graph.ClassKubernetesNode: 3, graph.ClassKubernetesNamespace: 7,
			graph.ClassKubernetesWorkload: 7, graph.ClassPod: 11, graph.ClassKubernetesService: 7,
			graph.ClassLoadBalancer: 1, graph.ClassStorageVolume: 6, graph.ClassVirtualMachine: 2, graph.ClassServer: 1,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rec, p := parseFiles(t, tc.files...)
			if got := classCounts(rec.items); !reflect.DeepEqual(got, tc.classes) {
				t.Errorf("items per class = %v, want %v", got, tc.classes)
			}
			if tc.kinds != nil {
				if got := kindCounts(rec.items); !reflect.DeepEqual(got, tc.kinds) {
					t.Errorf("items per kind = %v, want %v", got, tc.kinds)
				}
			}
			links := resolve(t, rec)
			if tc.links != nil && !reflect.DeepEqual(links, tc.links) {
				t.Errorf("links per class pair:\n got %v\nwant %v", links, tc.links)
			}
			if len(p.Skipped()) != 0 {
				t.Errorf("skipped %v, want nothing", p.Skipped())
			}
			for _, s := range rec.scopes {
				if s != cluster {
					t.Errorf("scope %q, want %q", s, cluster)
				}
			}
			checkItems(t, rec)
		})
	}
}

// checkItems holds every item to what the store will accept and to the
// identifier rules: k8s-uid and k8s-name on every object, nothing else.
func checkItems(t *testing.T, rec *recorder) {
	t.Helper()
	cat := graph.DefaultCatalogue()
	clusters := 0
	for _, it := range rec.items {
		name, class := it.Name, it.Class
		in := graph.CIInput{Name: &name, Class: &class, Attributes: it.Attributes, Identifiers: it.Identifiers}
		if err := cat.ValidateCIInput(in); err != nil {
			t.Errorf("%s %s: %v", it.Class, it.Name, err)
		}
		// Attributes already have the types a JSON round trip gives, so
		// what is emitted compares equal to what a store returns.
		b, _ := json.Marshal(it.Attributes)
		var back map[string]any
		_ = json.Unmarshal(b, &back)
		if len(it.Attributes) > 0 && !reflect.DeepEqual(back, it.Attributes) {
			t.Errorf("%s %s: attributes change in a JSON round trip:\n%#v\n%#v", it.Class, it.Name, it.Attributes, back)
		}
		if it.Class == graph.ClassKubernetesCluster {
			clusters++
			if want := []graph.Identifier{{Kind: IDCluster, Value: cluster}}; !reflect.DeepEqual(it.Identifiers, want) || it.Name != cluster {
				t.Errorf("cluster item %+v", it)
			}
			continue
		}
		kinds := map[string]int{}
		for _, id := range it.Identifiers {
			kinds[id.Kind]++
		}
		if it.Class == graph.ClassKubernetesNamespace && strings.HasSuffix(it.At, ": metadata.namespace") {
			// A namespace from its objects' metadata: a name, no more.
			if !reflect.DeepEqual(kinds, map[string]int{IDName: 1}) || !reflect.DeepEqual(it.Attributes, map[string]any{"k8s.kind": "Namespace"}) {
				t.Errorf("namespace from metadata %+v", it)
			}
			continue
		}
		if it.Class == graph.ClassVirtualMachine || it.Class == graph.ClassServer {
			// A node's machine: host identifiers only, nothing of its own.
			for k := range kinds {
				switch k {
				case feed.KindCloudInstance, feed.KindIP, feed.KindHostname, feed.KindFQDN:
				default:
					t.Errorf("machine %s: identifier kind %s", it.Name, k)
				}
			}
			if (kinds[feed.KindCloudInstance] == 1) != (it.Class == graph.ClassVirtualMachine) || len(it.Attributes) != 0 ||
				!strings.HasSuffix(it.At, "the node's machine") {
				t.Errorf("machine %+v", it)
			}
			continue
		}
		if !reflect.DeepEqual(kinds, map[string]int{IDUID: 1, IDName: 1}) {
			t.Errorf("%s %s: identifiers %v, want one k8s-uid and one k8s-name", it.Class, it.Name, it.Identifiers)
		}
		for k := range it.Attributes {
			if !strings.HasPrefix(k, "k8s.") {
				t.Errorf("%s %s: attribute %q lacks the k8s. prefix", it.Class, it.Name, k)
			}
		}
		if it.At == "" || !strings.HasPrefix(it.At, "line ") {
			t.Errorf("%s %s: At = %q", it.Class, it.Name, it.At)
		}
	}
	if clusters != 1 {
		t.Errorf("%d cluster items, want 1", clusters)
	}
}

// TestLinksAllowedByCatalogue runs every class pair the importer can
// produce through the catalogue, so a catalogue change that forbids one
// fails here rather than in an import.
func TestLinksAllowedByCatalogue(t *testing.T) {
	cat := graph.DefaultCatalogue()
	rec, _ := parseFiles(t, "cluster.json")
	pairs := resolve(t, rec)
	if len(pairs) == 0 {
		t.Fatal("no links")
	}
	for k := range pairs {
		if err := cat.CheckRelation(k.typ, k.fromClass, k.toClass); err != nil {
			t.Errorf("%s %s %s: %v", k.fromClass, k.typ, k.toClass, err)
		}
	}
	// Every link kind the code can emit, whether or not the fixture has it.
	all := []linkKey{
		{graph.ClassKubernetesNode, graph.RelMemberOf, graph.ClassKubernetesCluster},
		{graph.ClassKubernetesNode, graph.RelRunsOn, graph.ClassVirtualMachine},
		{graph.ClassKubernetesNode, graph.RelRunsOn, graph.ClassServer},
		{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesWorkload},
		{graph.ClassKubernetesWorkload, graph.RelMemberOf, graph.ClassKubernetesWorkload},
		{graph.ClassPod, graph.RelRunsOn, graph.ClassKubernetesNode},
		{graph.ClassPod, graph.RelMemberOf, graph.ClassKubernetesService},
		{graph.ClassPod, graph.RelDependsOn, graph.ClassStorageVolume},
		{graph.ClassStorageVolume, graph.RelDependsOn, graph.ClassStorageVolume},
		{graph.ClassLoadBalancer, graph.RelDependsOn, graph.ClassKubernetesService},
	}
	for kind := range containedKinds {
		all = append(all, linkKey{graph.ClassKubernetesNamespace, graph.RelContains, kinds[kind].class})
	}
	for _, k := range all {
		if err := cat.CheckRelation(k.typ, k.fromClass, k.toClass); err != nil {
			t.Errorf("%s %s %s: %v", k.fromClass, k.typ, k.toClass, err)
		}
	}
}

func TestItemShapes(t *testing.T) {
	rec, _ := parseFiles(t, "cluster.json")
	idx := byID(rec.items)

	node := mustItem(t, rec, "Node", "", "node-1")
	if node.Class != graph.ClassKubernetesNode || node.Name != "node-1" {
		t.Errorf("node-1: %+v", node)
	}
	wantNode := map[string]any{
		"k8s.kind": "Node", "k8s.apiVersion": "v1", "k8s.kubeletVersion": "v1.32.4",
		"k8s.osImage": "Debian GNU/Linux 12 (bookworm)", "k8s.architecture": "amd64",
		"k8s.providerID": "aws:///eu-west-1a/i-0abc0000000000001", "k8s.unschedulable": true,
		"k8s.capacity": map[string]any{"cpu": "4", "memory": "16374300Ki"},
		"k8s.addresses": []any{
			map[string]any{"type": "InternalIP", "address": "192.0.2.11"},
			map[string]any{"type": "Hostname", "address": "node-1"},
		},
	}
	for k, v := range wantNode {
		if !reflect.DeepEqual(node.Attributes[k], v) {
			t.Errorf("node-1 %s = %#v, want %#v", k, node.Attributes[k], v)
		}
	}
	if _, ok := node.Attributes["k8s.labels"].(map[string]any)["topology.kubernetes.io/zone"]; !ok {
		t.Errorf("node-1 labels: %v", node.Attributes["k8s.labels"])
	}
	if node3 := mustItem(t, rec, "Node", "", "node-3"); node3.Attributes["k8s.unschedulable"] != false {
		t.Errorf("node-3 unschedulable = %v", node3.Attributes["k8s.unschedulable"])
	}
	// The nodes' machines: node-1's EC2 instance by its instance id and
	// addresses, node-3's host (no provider ID) by its addresses only.
	for _, tc := range []struct {
		node, class, name string
		ids               []graph.Identifier
	}{
		{"node-1", graph.ClassVirtualMachine, "i-0abc0000000000001", []graph.Identifier{
			{Kind: feed.KindCloudInstance, Value: "aws:i-0abc0000000000001"}, {Kind: feed.KindIP, Value: "192.0.2.11"},
			{Kind: feed.KindHostname, Value: "node-1"}}},
		{"node-3", graph.ClassServer, "node-3", []graph.Identifier{
			{Kind: feed.KindIP, Value: "192.0.2.13"}, {Kind: feed.KindIP, Value: "2001:db8::13"},
			{Kind: feed.KindHostname, Value: "node-3"}}},
	} {
		m, ok := idx[tc.ids[0]]
		if !ok || m.Class != tc.class || m.Name != tc.name || !reflect.DeepEqual(m.Identifiers, tc.ids) {
			t.Errorf("%s's machine: %+v", tc.node, m)
		}
		var runsOn []graph.Identifier
		for _, l := range rec.links {
			if l.From == mustItem(t, rec, "Node", "", tc.node).Identifiers[0] && l.Type == graph.RelRunsOn {
				runsOn = append(runsOn, l.To)
			}
		}
		if !reflect.DeepEqual(runsOn, tc.ids[:1]) {
			t.Errorf("%s runs on %v", tc.node, runsOn)
		}
	}

	debug := mustItem(t, rec, "Pod", "monitoring", "debug-shell")
	if debug.Name != "monitoring/debug-shell" || debug.Class != graph.ClassPod {
		t.Errorf("debug-shell: %+v", debug)
	}
	for k, v := range map[string]any{
		"k8s.kind": "Pod", "k8s.namespace": "monitoring", "k8s.phase": "Running", "k8s.nodeName": "node-2",
		"k8s.images": []any{"busybox:1.37"}, "k8s.labels": map[string]any{"purpose": "debug"},
	} {
		if !reflect.DeepEqual(debug.Attributes[k], v) {
			t.Errorf("debug-shell %s = %#v, want %#v", k, debug.Attributes[k], v)
		}
	}
	if ip, _ := debug.Attributes["k8s.podIP"].(string); !strings.HasPrefix(ip, "10.244.") {
		t.Errorf("debug-shell podIP = %v", debug.Attributes["k8s.podIP"])
	}
	if _, ok := debug.Attributes["k8s.created"].(string); !ok {
		t.Errorf("debug-shell has no k8s.created")
	}

	web := mustItem(t, rec, "Deployment", "shop", "web")
	cart := mustItem(t, rec, "Deployment", "shop", "cart")
	if web.Attributes["k8s.replicas"] != 3.0 || web.Attributes["k8s.selector"] != "app=web" ||
		cart.Attributes["k8s.selector"] != "app in (cart)" || web.Class != graph.ClassKubernetesWorkload {
		t.Errorf("deployments: %v / %v", web.Attributes, cart.Attributes)
	}
	if ds := mustItem(t, rec, "DaemonSet", "monitoring", "node-exporter"); ds.Attributes["k8s.replicas"] != nil {
		t.Errorf("a DaemonSet has no desired replicas: %v", ds.Attributes)
	}

	svc := mustItem(t, rec, "Service", "shop", "web")
	wantPorts := []any{map[string]any{"name": "http", "port": 80.0, "protocol": "TCP", "targetPort": "http"}}
	if svc.Attributes["k8s.type"] != "ClusterIP" || !reflect.DeepEqual(svc.Attributes["k8s.ports"], wantPorts) ||
		!reflect.DeepEqual(svc.Attributes["k8s.selector"], map[string]any{"app": "web"}) {
		t.Errorf("service shop/web: %v", svc.Attributes)
	}
	if ip, _ := svc.Attributes["k8s.clusterIP"].(string); !strings.HasPrefix(ip, "10.96.") {
		t.Errorf("service shop/web clusterIP = %v", svc.Attributes["k8s.clusterIP"])
	}
	pub := mustItem(t, rec, "Service", "shop", "web-public")
	wantPub := []any{map[string]any{"name": "http", "port": 80.0, "protocol": "TCP", "targetPort": 8080.0, "nodePort": 30080.0}}
	if pub.Attributes["k8s.type"] != "NodePort" || !reflect.DeepEqual(pub.Attributes["k8s.ports"], wantPub) {
		t.Errorf("service shop/web-public: %v", pub.Attributes)
	}
	if pg := mustItem(t, rec, "Service", "data", "postgres"); pg.Attributes["k8s.clusterIP"] != "None" {
		t.Errorf("headless service: %v", pg.Attributes)
	}

	ing := mustItem(t, rec, "Ingress", "shop", "shop")
	if ing.Class != graph.ClassLoadBalancer || ing.Attributes["k8s.ingressClass"] != "nginx" ||
		!reflect.DeepEqual(ing.Attributes["k8s.hosts"], []any{"shop.example.com", "www.shop.example.com"}) {
		t.Errorf("ingress: %+v", ing)
	}

	pvc := mustItem(t, rec, "PersistentVolumeClaim", "shop", "uploads")
	for k, v := range map[string]any{
		"k8s.storageClass": "manual", "k8s.capacity": "20Gi", "k8s.accessModes": []any{"ReadWriteMany"}, "k8s.phase": "Bound",
	} {
		if !reflect.DeepEqual(pvc.Attributes[k], v) {
			t.Errorf("pvc shop/uploads %s = %#v, want %#v", k, pvc.Attributes[k], v)
		}
	}
	pv := mustItem(t, rec, "PersistentVolume", "", "pv-pgdata-0")
	for k, v := range map[string]any{
		"k8s.storageClass": "fast", "k8s.capacity": "50Gi", "k8s.accessModes": []any{"ReadWriteOnce"}, "k8s.phase": "Bound",
		"k8s.csiDriver": "disk.csi.lab", "k8s.volumeHandle": "vol-0a1b2c3d",
	} {
		if !reflect.DeepEqual(pv.Attributes[k], v) {
			t.Errorf("pv pv-pgdata-0 %s = %#v, want %#v", k, pv.Attributes[k], v)
		}
	}
	if pv.Name != "pv-pgdata-0" || pv.Attributes["k8s.namespace"] != nil {
		t.Errorf("a PV is cluster-scoped: %+v", pv)
	}

	// Volatile fields never become attributes (labels are the user's).
	for _, it := range rec.items {
		attrs := map[string]any{}
		for k, v := range it.Attributes {
			if k != "k8s.labels" {
				attrs[k] = v
			}
		}
		b, _ := json.Marshal(attrs)
		for _, bad := range []string{"resourceVersion", "managedFields", "generation", "restartCount", "lastHeartbeatTime", "last-applied"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s %s: attributes mention %s: %s", it.Class, it.Name, bad, b)
			}
		}
	}

	// Pods: images sorted, init containers included; every pod but
	// debug-shell a member of its owner, found by the owner's uid.
	links := map[graph.Identifier][]feed.Link{}
	for _, l := range rec.links {
		links[l.From] = append(links[l.From], l)
	}
	for _, it := range rec.items {
		if it.Class != graph.ClassPod {
			continue
		}
		images := it.Attributes["k8s.images"]
		switch {
		case strings.HasPrefix(it.Name, "shop/web-"):
			if !reflect.DeepEqual(images, []any{"fluent/fluent-bit:3.2", "nginx:1.27.4"}) {
				t.Errorf("%s images %v", it.Name, images)
			}
		case strings.HasPrefix(it.Name, "shop/cart-"):
			if !reflect.DeepEqual(images, []any{"registry.lab/cart-migrate:2.4.0", "registry.lab/cart:2.4.0"}) {
				t.Errorf("%s images %v", it.Name, images)
			}
		}
		var owners, nodes []string
		for _, l := range links[it.Identifiers[0]] {
			to := idx[l.To]
			switch {
			case l.Type == graph.RelMemberOf && to.Class == graph.ClassKubernetesWorkload:
				if l.To.Kind != IDUID {
					t.Errorf("%s: owner named by %s, want its uid", it.Name, l.To.Kind)
				}
				owners = append(owners, to.Attributes["k8s.kind"].(string)+" "+to.Name)
			case l.Type == graph.RelRunsOn:
				if l.To != name("Node", "", it.Attributes["k8s.nodeName"].(string)) {
					t.Errorf("%s runs on %v", it.Name, l.To)
				}
				nodes = append(nodes, to.Name)
			}
		}
		if len(nodes) != 1 {
			t.Errorf("%s runs on %v", it.Name, nodes)
		}
		switch {
		case it.Name == "monitoring/debug-shell":
			if len(owners) != 0 {
				t.Errorf("%s owners %v", it.Name, owners)
			}
		case len(owners) != 1 || !strings.HasPrefix(it.Name, strings.SplitN(owners[0], " ", 2)[1]):
			t.Errorf("%s owners %v", it.Name, owners)
		}
	}
}

func TestSpecificLinks(t *testing.T) {
	rec, _ := parseFiles(t, "cluster.json")
	idx := byID(rec.items)
	type named struct{ from, typ, to string }
	got := map[named]bool{}
	for _, l := range rec.links {
		got[named{idx[l.From].Name, l.Type, idx[l.To].Class + " " + idx[l.To].Name}] = true
	}
	for _, want := range []named{
		{"node-1", graph.RelMemberOf, "KubernetesCluster lab"},
		{"shop/uploads", graph.RelDependsOn, "StorageVolume pv-uploads"},
		{"data/pgdata-postgres-1", graph.RelDependsOn, "StorageVolume pv-pgdata-1"},
		{"shop/shop", graph.RelDependsOn, "KubernetesService shop/web"},
		{"shop/shop", graph.RelDependsOn, "KubernetesService shop/cart"},
		{"shop", graph.RelContains, "KubernetesWorkload shop/web"},
		{"shop", graph.RelContains, "KubernetesService shop/payments-gateway"},
		{"shop", graph.RelContains, "LoadBalancer shop/shop"},
		{"shop", graph.RelContains, "StorageVolume shop/uploads"},
		{"data", graph.RelContains, "KubernetesWorkload data/postgres"},
		{"default", graph.RelContains, "KubernetesService default/kubernetes"},
		{"data/postgres-0", graph.RelMemberOf, "KubernetesWorkload data/postgres"},
		{"data/postgres-0", graph.RelMemberOf, "KubernetesService data/postgres"},
		{"data/postgres-0", graph.RelDependsOn, "StorageVolume data/pgdata-postgres-0"},
		{"monitoring/debug-shell", graph.RelRunsOn, "KubernetesNode node-2"},
	} {
		if !got[want] {
			t.Errorf("missing link %v", want)
		}
	}
	// Pods are not contained by their namespace; Services without a
	// selector have no members; ReplicaSets belong to their Deployment.
	for k := range got {
		if k.typ == graph.RelContains && strings.HasPrefix(k.to, "Pod ") {
			t.Errorf("namespace contains a pod: %v", k)
		}
		if strings.HasSuffix(k.to, "shop/payments-gateway") && k.typ == graph.RelMemberOf {
			t.Errorf("selectorless service has a member: %v", k)
		}
		if strings.HasPrefix(k.from, "shop/web-") && strings.Count(k.from, "-") == 1 && k.typ == graph.RelMemberOf &&
			k.to != "KubernetesWorkload shop/web" {
			t.Errorf("ReplicaSet %s is a member of %s", k.from, k.to)
		}
	}
	// The ReplicaSet a rollout left at zero replicas is imported but is no
	// member of its Deployment (it would count as a healthy one).
	idle := 0
	for _, it := range rec.items {
		if it.Attributes["k8s.kind"] != "ReplicaSet" || it.Attributes["k8s.replicas"] != 0.0 {
			continue
		}
		idle++
		for _, l := range rec.links {
			if l.Type == graph.RelMemberOf && l.From == it.Identifiers[0] {
				t.Errorf("idle ReplicaSet %s is a member of %v", it.Name, l.To)
			}
		}
	}
	if idle != 1 {
		t.Errorf("%d idle ReplicaSets, want the old web one", idle)
	}
	// web-public selects app=web AND tier=frontend: the three web pods.
	members := 0
	for k := range got {
		if k.to == "KubernetesService shop/web-public" && k.typ == graph.RelMemberOf {
			members++
		}
	}
	if members != 3 {
		t.Errorf("shop/web-public has %d members, want 3", members)
	}
}

// TestAcrossFiles: Service membership works whichever file holds the
// Pods, each pair is emitted once, and the result is the single-dump graph.
func TestAcrossFiles(t *testing.T) {
	one, _ := parseFiles(t, "cluster.json")
	kinds := []string{"kinds/pods.json", "kinds/services.json", "kinds/nodes.json", "kinds/namespaces.json",
		"kinds/deployments.json", "kinds/replicasets.json", "kinds/statefulsets.json", "kinds/daemonsets.json",
		"kinds/ingresses.json", "kinds/pvc.json", "kinds/pv.json"}
	reversed := append([]string(nil), kinds...)
	sort.Sort(sort.Reverse(sort.StringSlice(reversed)))
	want := linkSet(one.links)
	for _, order := range [][]string{kinds, reversed} {
		rec, p := parseFiles(t, order...)
		got := linkSet(rec.links)
		if len(rec.links) != len(got) {
			t.Errorf("order %v: %d links, %d distinct: a pair was emitted twice", order, len(rec.links), len(got))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("order %v: links differ from the single dump's", order)
			for k := range want {
				if !got[k] {
					t.Errorf("  missing %v", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("  extra %v", k)
				}
			}
		}
		clusters := classCounts(rec.items)[graph.ClassKubernetesCluster]
		if clusters != 1 {
			t.Errorf("the cluster was emitted %d times in one run", clusters)
		}
		if len(rec.scopes) != len(order) {
			t.Errorf("%d scopes for %d files", len(rec.scopes), len(order))
		}
		// Finish after the last file has nothing left to emit.
		n := len(rec.links)
		if err := p.Finish(context.Background(), rec); err != nil || len(rec.links) != n {
			t.Errorf("Finish: %v, %d more links", err, len(rec.links)-n)
		}
	}
	// The same file twice (a dump and a per-kind dump of one run) adds no
	// membership twice.
	rec, _ := parseFiles(t, "cluster.json", "kinds/pods.json")
	if n := len(rec.links) - len(linkSet(rec.links)); n != countLocalPodLinks(t) {
		t.Errorf("%d duplicate links, want only the %d pods.json repeats itself", n, countLocalPodLinks(t))
	}
}

// countLocalPodLinks is how many links pods.json alone yields, all of which
// a repeat of it emits again (the items too: deduplicating is the engine's
// job); memberships must not be among the repeats.
func countLocalPodLinks(t *testing.T) int {
	rec, _ := parseFiles(t, "kinds/pods.json")
	return len(rec.links)
}

func linkSet(links []feed.Link) map[[3]string]bool {
	out := map[[3]string]bool{}
	for _, l := range links {
		out[[3]string{l.From.Kind + "=" + l.From.Value, l.Type, l.To.Kind + "=" + l.To.Value}] = true
	}
	return out
}

func TestDeterministic(t *testing.T) {
	for _, f := range []string{"cluster.json", "cluster-after.json"} {
		a, _ := parseFiles(t, f)
		b, _ := parseFiles(t, f)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two parses differ", f)
		}
	}
}

// TestUnchangedObjectsAcrossDumps: objects untouched between the two dumps
// come out identical, so re-importing an unchanged cluster updates nothing.
func TestUnchangedObjectsAcrossDumps(t *testing.T) {
	before, _ := parseFiles(t, "cluster.json")
	after, _ := parseFiles(t, "cluster-after.json")
	idx := byID(after.items)
	same := 0
	for _, it := range before.items {
		other, ok := idx[it.Identifiers[0]]
		if !ok {
			continue // deleted
		}
		it.At, other.At = "", ""
		if !reflect.DeepEqual(it, other) {
			t.Errorf("%s %s changed between dumps:\n%v\n%v", it.Class, it.Name, it.Attributes, other.Attributes)
		}
		same++
	}
	if same < 20 {
		t.Errorf("only %d objects compared", same)
	}
}

func TestSingleObjectAndTypedList(t *testing.T) {
	rec, _ := parseFiles(t, "single-pod.json")
	if got := classCounts(rec.items); !reflect.DeepEqual(got, map[string]int{graph.ClassKubernetesCluster: 1, graph.ClassPod: 1}) {
		t.Fatalf("single pod: %v", got)
	}
	pod := rec.items[1]
	if pod.Name != "monitoring/debug-shell" || pod.Attributes["k8s.nodeName"] != "node-2" {
		t.Errorf("single pod: %+v", pod)
	}
	if len(rec.links) != 1 || rec.links[0].Type != graph.RelRunsOn || rec.links[0].To != name("Node", "", "node-2") {
		t.Errorf("single pod links: %v", rec.links)
	}
	if !strings.HasPrefix(pod.At, "line 1, column 1") {
		t.Errorf("single pod At = %q", pod.At)
	}

	// The API's own PodList leaves kind and apiVersion off its items.
	rec, _ = parseFiles(t, "podlist-raw.json")
	if got := classCounts(rec.items)[graph.ClassPod]; got != 5 {
		t.Errorf("raw PodList: %d pods, want 5", got)
	}
	for _, it := range rec.items[1:] {
		if it.Attributes["k8s.kind"] != "Pod" || it.Attributes["k8s.apiVersion"] != "v1" {
			t.Errorf("raw PodList item: %v", it.Attributes)
		}
	}
	// Its pods are members of the web and cart Services once those are read.
	p := New(Options{Cluster: cluster}).(*Parser)
	rec = &recorder{}
	for _, f := range []string{"podlist-raw.json", "kinds/services.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", f))
		if err := p.Parse(context.Background(), f, bytes.NewReader(b), rec); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, l := range rec.links {
		if l.Type == graph.RelMemberOf && strings.HasPrefix(byID(rec.items)[l.To].Name, "shop/") &&
			byID(rec.items)[l.To].Class == graph.ClassKubernetesService {
			n++
		}
	}
	if n != 8 { // web 3 + web-public 3 + cart 2
		t.Errorf("%d service memberships for the raw PodList, want 8", n)
	}
}

// TestSkipped: kinds Ripple does not model are counted, not read; a
// Secret's data (or the last-applied copy of it) reaches nothing emitted.
func TestSkipped(t *testing.T) {
	rec, p := parseFiles(t, "skipped.json")
	want := map[string]int{"ConfigMap": 2, "Secret": 1, "Endpoints": 3, "ServiceAccount": 1}
	if got := p.Skipped(); !reflect.DeepEqual(got, want) {
		t.Errorf("skipped %v, want %v", got, want)
	}
	if len(rec.items) != 1 || len(rec.links) != 0 {
		t.Errorf("emitted %d items, %d links", len(rec.items), len(rec.links))
	}
	raw, _ := os.ReadFile("testdata/skipped.json")
	if !bytes.Contains(raw, []byte("not-a-real-password-fixture")) && !bytes.Contains(raw, []byte("bm90LWEtcmVhbC1wYXNzd29yZC1maXh0dXJl")) {
		t.Fatal("the fixture lost its secret: the test proves nothing")
	}
	if s := fmt.Sprintf("%#v", rec); strings.Contains(s, "password") || strings.Contains(s, "bm90LWEtcmVhbC1wYXNzd29yZC1maXh0dXJl") {
		t.Errorf("secret data emitted: %s", s)
	}

	// A Knative Service is not a Kubernetes Service.
	rec2, err := parseString(`{"kind":"List","items":[{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello","namespace":"default"}}]}`)
	if err != nil || len(rec2.items) != 1 {
		t.Errorf("knative service: %v, %d items", err, len(rec2.items))
	}
}

func TestMalformed(t *testing.T) {
	full, err := os.ReadFile("testdata/cluster.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, input string
		at, field   string
		msgContains string
	}{
		{"empty", "", "line 1, column 1", "", "empty input"},
		{"not an object", "[1, 2]", "line 1, column 1", "", "want a JSON object"},
		{"truncated", string(full[:len(full)/2]), "", "items[", "truncated"},
		{"truncated after items", "{\"items\": [\n", "line 1, column 12", "items", "truncated"},
		{"bad JSON", "{\"items\": [\n  {\"kind\": \"Pod\",}\n]}", "line 2, column 18", "items[0]", "invalid JSON"},
		{"items not an array", "{\n\"items\": {}}", "line 2, column 10", "items", "must be an array"},
		{"no kind", "{\"items\": [{\"metadata\": {\"name\": \"x\"}}]}", "line 1, column 12", "items[0].kind", `object "x" has no kind`},
		{"no name", "{\"items\": [\n{\"kind\": \"Pod\", \"metadata\": {\"namespace\": \"default\"}},\n{\"kind\": \"Pod\", \"metadata\": {}}]}",
			"line 2, column 1", "items[0].metadata.name", "Pod has no metadata.name"},
		{"name not a string", "{\"items\": [\n  {\"kind\": \"Pod\",\n   \"metadata\": {\"name\": 5}}]}",
			"line 3, column 25", "items[0].metadata.name", "metadata.name is a number, want a string"},
		{"node name not a string", "{\"kind\": \"List\", \"items\": [\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"web-1\", \"namespace\": \"default\"},\n \"spec\": {\"nodeName\": [\"a\"]}}]}",
			"line 3, column 23", "items[0].spec.nodeName", "Pod default/web-1: spec.nodeName is an array, want a string"},
		{"labels not strings", "{\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"web-1\", \"namespace\": \"default\", \"labels\": {\"app\": true}}}]}",
			"line 1, column 103", "items[0].metadata.labels", "Pod default/web-1: metadata.labels is a boolean, want a string"},
		{"replicas not a number", "{\"items\": [{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"web\", \"namespace\": \"shop\"}, \"spec\": {\"replicas\": \"3\"}}]}",
			"", "items[0].spec.replicas", "Deployment shop/web: spec.replicas is a string, want an integer"},
		{"targetPort an object", "{\"items\": [{\"kind\": \"Service\", \"metadata\": {\"name\": \"web\", \"namespace\": \"shop\"}, \"spec\": {\"ports\": [{\"port\": 80, \"targetPort\": {}}]}}]}",
			"line 1, column 12", "items[0].spec.ports[0].targetPort", "Service shop/web: targetPort must be"},
		{"quantity an object", "{\"items\": [{\"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}, \"status\": {\"capacity\": {\"cpu\": {}}}}]}",
			"line 1, column 12", "items[0].status.capacity.cpu", "Node n: a quantity must be"},
		{"single object with wrong type", "{\"kind\": \"Namespace\",\n \"metadata\": {\"name\": \"a\", \"uid\": 7}}",
			"line 2, column 35", "metadata.uid", "Namespace a: metadata.uid is a number, want a string"},
		{"trailing garbage", "{\"items\": []} x", "line 1, column 15", "", "invalid JSON"},
		{"blank name", "{\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"  \"}}]}", "line 1, column 12", "items[0].metadata.name", "Pod has no metadata.name"},
		{"control character in namespace", "{\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\", \"namespace\": \"x\\ny\"}}]}",
			"line 1, column 12", "items[0].metadata.namespace", "contains control characters"},
		{"element not an object", "{\"items\": [\n  5]}", "line 2, column 3", "items[0]", "found a number, want an object"},
		{"name too long", "{\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"" + strings.Repeat("a", 600) + "\", \"namespace\": \"default\"}}]}",
			"line 1, column 12", "items[0].metadata.name", "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseString(tc.input)
			var ie *feed.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want *feed.InputError", err, err)
			}
			if ie.File != "in.json" {
				t.Errorf("File = %q", ie.File)
			}
			if tc.at != "" && ie.At != tc.at {
				t.Errorf("At = %q, want %q (%v)", ie.At, tc.at, err)
			}
			if !strings.HasPrefix(ie.At, "line ") {
				t.Errorf("At = %q, want a line and column", ie.At)
			}
			if !strings.HasPrefix(ie.Field, tc.field) || (tc.field != "" && !strings.HasSuffix(tc.field, "[") && ie.Field != tc.field) {
				t.Errorf("Field = %q, want %q (%v)", ie.Field, tc.field, err)
			}
			if !strings.Contains(ie.Message, tc.msgContains) {
				t.Errorf("Message = %q, want it to contain %q", ie.Message, tc.msgContains)
			}
		})
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	full, err := os.ReadFile("testdata/kinds/services.json")
	if err != nil {
		t.Fatal(err)
	}
	// Every cut that leaves the top-level object unfinished is an error.
	end := bytes.LastIndexByte(full, '}')
	for n := 0; n < end; n += 7 {
		_, err := parseString(string(full[:n]))
		var ie *feed.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("cut at %d: error %v, want *feed.InputError", n, err)
		}
	}
}

func TestClusterRequired(t *testing.T) {
	for _, c := range []string{"", "  ", strings.Repeat("x", 129), "a\nb"} {
		p := New(Options{Cluster: c})
		if p.(*Parser).Check() == nil {
			t.Errorf("cluster %q accepted", c)
		}
		rec := &recorder{}
		if err := p.Parse(context.Background(), "f", strings.NewReader(`{"items":[]}`), rec); err == nil {
			t.Errorf("cluster %q: Parse succeeded", c)
		}
		if len(rec.items)+len(rec.scopes) != 0 {
			t.Errorf("cluster %q: emitted before failing", c)
		}
	}
	if err := New(Options{Cluster: "arn:aws:eks:eu-west-1:123:cluster/prod"}).(*Parser).Check(); err != nil {
		t.Errorf("an EKS ARN is a fine cluster name: %v", err)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _ := os.ReadFile("testdata/cluster.json")
	err := New(Options{Cluster: cluster}).Parse(ctx, "cluster.json", bytes.NewReader(b), &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

type failingEmitter struct {
	recorder
	after int
}

func (f *failingEmitter) Link(l feed.Link) error {
	if len(f.links) == f.after {
		return errBoom
	}
	return f.recorder.Link(l)
}

var errBoom = errors.New("boom")

func TestEmitterErrorStops(t *testing.T) {
	b, _ := os.ReadFile("testdata/cluster.json")
	for _, after := range []int{0, 5, 60} {
		err := New(Options{Cluster: cluster}).Parse(context.Background(), "cluster.json", bytes.NewReader(b), &failingEmitter{after: after})
		if !errors.Is(err, errBoom) {
			t.Errorf("after %d links: error %v, want the emitter's", after, err)
		}
	}
}

func TestFormatSelector(t *testing.T) {
	sel := &labelSelector{MatchLabels: map[string]string{"tier": "web", "app": "shop"}}
	sel.MatchExpressions = append(sel.MatchExpressions,
		struct {
			Key      string   `json:"key"`
			Operator string   `json:"operator"`
			Values   []string `json:"values"`
		}{"env", "NotIn", []string{"test", "dev"}},
		struct {
			Key      string   `json:"key"`
			Operator string   `json:"operator"`
			Values   []string `json:"values"`
		}{"canary", "DoesNotExist", nil})
	if got, want := formatSelector(sel), "app=shop,!canary,env notin (dev,test),tier=web"; got != want {
		t.Errorf("formatSelector = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"single-pod.json", "kinds/services.json", "kinds/nodes.json", "kinds/ingresses.json", "kinds/pvc.json", "skipped.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"a","namespace":"n","labels":{"x":"y"}},"spec":{"nodeName":"n1","volumes":[{"name":"v","ephemeral":{}}]}}]}`))
	f.Add([]byte(`{"items":[{"kind":"Service","metadata":{"name":"s","namespace":"n"},"spec":{"selector":{"x":"y"}}}]}{"items":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := New(Options{Cluster: cluster})
		rec := &recorder{}
		err := p.Parse(context.Background(), "fuzz.json", bytes.NewReader(data), rec)
		if err != nil {
			var ie *feed.InputError
			if !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v (%T) is neither an InputError nor a context error", err, err)
			}
			if ie != nil && !strings.HasPrefix(ie.At, "line ") {
				t.Fatalf("InputError without a position: %v", err)
			}
			return
		}
		for _, it := range rec.items {
			for _, id := range it.Identifiers {
				if id.Value == "" || len(id.Value) > graph.MaxIdentifierValue {
					t.Fatalf("bad identifier %v", id)
				}
			}
		}
	})
}

func TestProviderInstance(t *testing.T) {
	for _, tc := range []struct {
		providerID, want, name string
	}{
		{"aws:///eu-west-1a/i-0abc0000000000001", "aws:i-0abc0000000000001", "i-0abc0000000000001"},
		{"aws://eu-west-1a/i-0abc0000000000001", "aws:i-0abc0000000000001", "i-0abc0000000000001"},
		{"gce://acme/europe-west1-b/pool-1-abcd", "gce:acme/europe-west1-b/pool-1-abcd", "pool-1-abcd"},
		{"azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm-1",
			"azure:/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm-1", "vm-1"},
		// No machine another source could name the same way.
		{"aws:///us-east-1b/0123456789abcdef/fargate-ip-192-168-1-1.ec2.internal", "", ""},
		{"gce://acme/pool-1", "", ""},
		{"kind://docker/lab/lab-worker", "", ""},
		{"k3s://node-1", "", ""},
		{"i-0abc0000000000001", "", ""},
		{"", "", ""},
	} {
		id, name, ok := providerInstance(tc.providerID)
		if tc.want == "" {
			if ok {
				t.Errorf("%q: %v, want none", tc.providerID, id)
			}
			continue
		}
		if !ok || id != (graph.Identifier{Kind: feed.KindCloudInstance, Value: tc.want}) || name != tc.name {
			t.Errorf("%q: %v %q %v, want %s %q", tc.providerID, id, name, ok, tc.want, tc.name)
		}
	}
}

func TestDeploymentOf(t *testing.T) {
	hash := map[string]string{"pod-template-hash": "7d9f8c6b5"}
	for _, tc := range []struct {
		ref    ownerReference
		labels map[string]string
		want   string
	}{
		{ownerReference{Kind: "ReplicaSet", Name: "web-7d9f8c6b5"}, hash, "web"},
		{ownerReference{Kind: "ReplicaSet", Name: "my-app-v2-7d9f8c6b5"}, hash, "my-app-v2"},
		{ownerReference{Kind: "ReplicaSet", Name: "web-7d9f8c6b5"}, nil, ""},        // made by hand
		{ownerReference{Kind: "ReplicaSet", Name: "web-other"}, hash, ""},           // not named by the controller
		{ownerReference{Kind: "ReplicaSet", Name: "-7d9f8c6b5"}, hash, ""},          // no deployment name
		{ownerReference{Kind: "StatefulSet", Name: "postgres-7d9f8c6b5"}, hash, ""}, // not a ReplicaSet
		{ownerReference{Kind: "ReplicaSet", Name: "web-7d9f8c6b5-7d9f8c6b5"}, hash, "web-7d9f8c6b5"},
	} {
		if got := deploymentOf(tc.ref, tc.labels); got != tc.want {
			t.Errorf("%+v %v: %q, want %q", tc.ref, tc.labels, got, tc.want)
		}
	}
}

// parseAndFinish runs one Parser over the files and finishes it, as the
// engine does.
func parseAndFinish(t *testing.T, files ...string) *recorder {
	t.Helper()
	rec, p := parseFiles(t, files...)
	if err := p.Finish(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestNamespacesFromMetadata: a namespace objects are in but no dump holds
// is emitted once, by Finish; one a dump holds is not emitted again.
func TestNamespacesFromMetadata(t *testing.T) {
	rec := parseAndFinish(t, "kinds/pods.json", "kinds/deployments.json", "kinds/services.json")
	var got []string
	for _, it := range rec.items {
		if it.Class == graph.ClassKubernetesNamespace {
			got = append(got, it.Name)
			want := []graph.Identifier{name("Namespace", "", it.Name)}
			if !reflect.DeepEqual(it.Identifiers, want) || !strings.Contains(it.At, "metadata.namespace") ||
				!reflect.DeepEqual(it.Attributes, map[string]any{"k8s.kind": "Namespace"}) {
				t.Errorf("namespace from metadata: %+v", it)
			}
		}
	}
	sort.Strings(got)
	if want := []string{"data", "default", "monitoring", "shop"}; !reflect.DeepEqual(got, want) {
		t.Errorf("namespaces from metadata %v, want %v", got, want)
	}
	// Every CONTAINS link now names an item.
	idx, contains := byID(rec.items), 0
	for _, l := range rec.links {
		if l.Type == graph.RelContains {
			contains++
			if _, ok := idx[l.From]; !ok {
				t.Errorf("%v CONTAINS %v: no such namespace", l.From, l.To)
			}
		}
	}
	if contains == 0 {
		t.Error("no CONTAINS links")
	}

	rec = parseAndFinish(t, "kinds/namespaces.json", "kinds/pods.json", "kinds/deployments.json")
	if n := classCounts(rec.items)[graph.ClassKubernetesNamespace]; n != 7 {
		t.Errorf("%d namespaces with namespaces.json, want its 7 and no more", n)
	}
}

// TestUserCommands: the dumps of what users run hold objects that refer to
// kinds they do not contain. Namespaces come from metadata, web's and
// cart's pods are members of their Deployment (no ReplicaSets in the dump),
// and only references to kinds the dump lacks are left for the engine to
// record as unresolved.
func TestUserCommands(t *testing.T) {
	for _, tc := range []struct {
		file string
		// lacking are the kinds the dump lacks that its links may name.
		lacking []string
		kinds   map[string]int
	}{
		{"commands/pods-deployments-services-nodes.json", []string{"ReplicaSet", "StatefulSet", "DaemonSet", "PersistentVolumeClaim"},
			map[string]int{"Pod": 11, "Deployment": 2, "Service": 7, "Node": 3, "Namespace": 4}},
		{"commands/all.json", []string{"Node", "PersistentVolumeClaim"},
			map[string]int{"Pod": 11, "Deployment": 2, "Service": 7, "ReplicaSet": 3, "StatefulSet": 1, "DaemonSet": 1, "Namespace": 4}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rec := parseAndFinish(t, tc.file)
			if got := kindCounts(rec.items); !reflect.DeepEqual(got, tc.kinds) {
				t.Errorf("items per kind %v, want %v", got, tc.kinds)
			}
			checkItems(t, rec)
			idx := byID(rec.items)
			uids := map[string]string{} // uid -> kind, from every dump of the cluster
			full, _ := parseFiles(t, "cluster.json")
			for _, it := range full.items {
				for _, id := range it.Identifiers {
					if id.Kind == IDUID {
						uids[id.Value] = it.Attributes["k8s.kind"].(string)
					}
				}
			}
			members := map[string]string{}
			for _, l := range rec.links {
				_, from := idx[l.From]
				if !from {
					t.Errorf("link from %v: not an item", l.From)
				}
				to, ok := idx[l.To]
				if !ok && l.Fallback != (graph.Identifier{}) {
					to, ok = idx[l.Fallback]
				}
				if !ok {
					kind := uids[l.To.Value]
					if l.To.Kind == IDName {
						kind = strings.Split(l.To.Value, "/")[1]
					}
					if !slices.Contains(tc.lacking, kind) {
						t.Errorf("link %v %s %v names a %q", l.From, l.Type, l.To, kind)
					}
					continue
				}
				if l.Type == graph.RelMemberOf && to.Class == graph.ClassKubernetesWorkload && idx[l.From].Class == graph.ClassPod {
					members[idx[l.From].Name] = to.Attributes["k8s.kind"].(string) + " " + to.Name
				}
			}
			n := 0
			for pod, owner := range members {
				for _, d := range []string{"web", "cart"} {
					if strings.HasPrefix(pod, "shop/"+d+"-") {
						n++
						if want := "Deployment shop/" + d; tc.file != "commands/all.json" && owner != want {
							t.Errorf("%s is a member of %s, want %s", pod, owner, want)
						}
						if tc.file == "commands/all.json" && !strings.HasPrefix(owner, "ReplicaSet shop/"+d+"-") {
							t.Errorf("%s is a member of %s, want its ReplicaSet", pod, owner)
						}
					}
				}
			}
			if n != 5 {
				t.Errorf("%d web and cart pods are members of a workload, want 5", n)
			}
		})
	}
}

// TestNodesSharingAnAddress: two nodes reporting one address (written
// here, not by a cluster: a misconfigured ExternalIP) keep the run going;
// the address stays with the first node's machine.
func TestNodesSharingAnAddress(t *testing.T) {
	node := func(name, ip string) string {
		return `{"apiVersion":"v1","kind":"Node","metadata":{"name":"` + name + `","uid":"uid-` + name + `"},
			"status":{"addresses":[{"type":"InternalIP","address":"` + ip + `"},{"type":"ExternalIP","address":"203.0.113.1"}]}}`
	}
	rec, err := parseString(`{"apiVersion":"v1","kind":"List","items":[` + node("a", "10.0.0.1") + `,` + node("b", "10.0.0.2") + `,` + node("a", "10.0.0.1") + `]}`)
	if err != nil {
		t.Fatal(err)
	}
	var machines [][]graph.Identifier
	for _, it := range rec.items {
		if it.Class == graph.ClassServer {
			machines = append(machines, it.Identifiers)
		}
	}
	ip := func(v string) graph.Identifier { return graph.Identifier{Kind: feed.KindIP, Value: v} }
	want := [][]graph.Identifier{{ip("10.0.0.1"), ip("203.0.113.1")}, {ip("10.0.0.2")}, {ip("10.0.0.1"), ip("203.0.113.1")}}
	if !reflect.DeepEqual(machines, want) {
		t.Errorf("machines %v, want %v", machines, want)
	}
}
