package kubernetes

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Kubernetes kinds the importer models, with the API groups they must come
// from: a CRD may reuse a name (Knative's serving.knative.dev Service), and
// k8s-name carries only the kind.
var kinds = map[string]struct {
	class  string
	groups []string
}{
	"Namespace":             {graph.ClassKubernetesNamespace, []string{""}},
	"Node":                  {graph.ClassKubernetesNode, []string{""}},
	"Deployment":            {graph.ClassKubernetesWorkload, []string{"apps", "extensions"}},
	"StatefulSet":           {graph.ClassKubernetesWorkload, []string{"apps"}},
	"DaemonSet":             {graph.ClassKubernetesWorkload, []string{"apps", "extensions"}},
	"ReplicaSet":            {graph.ClassKubernetesWorkload, []string{"apps", "extensions"}},
	"Pod":                   {graph.ClassPod, []string{""}},
	"Service":               {graph.ClassKubernetesService, []string{""}},
	"Ingress":               {graph.ClassLoadBalancer, []string{"networking.k8s.io", "extensions"}},
	"PersistentVolumeClaim": {graph.ClassStorageVolume, []string{""}},
	"PersistentVolume":      {graph.ClassStorageVolume, []string{""}},
}

// podOwnerKinds are the owners a Pod is a member of; a Job's or a Node's
// (static pods) are not redundancy groups in Ripple's model.
var podOwnerKinds = map[string]bool{"ReplicaSet": true, "StatefulSet": true, "DaemonSet": true}

// apiGroup is the group part of an apiVersion ("" for the core group and
// when the dump leaves apiVersion out).
func apiGroup(apiVersion string) string {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

func modelled(kind, apiVersion string) (class string, ok bool) {
	k, ok := kinds[kind]
	if !ok {
		return "", false
	}
	if apiVersion == "" {
		return k.class, true
	}
	g := apiGroup(apiVersion)
	for _, want := range k.groups {
		if g == want {
			return k.class, true
		}
	}
	return "", false
}

// header is all that is read of an object before deciding whether to model
// it. Skipped kinds are read no further: a Secret's data and annotations
// (which may hold a last-applied copy of it) never leave the decoder.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

type objectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	Labels            map[string]string `json:"labels"`
	CreationTimestamp *string           `json:"creationTimestamp"`
	OwnerReferences   []ownerReference  `json:"ownerReferences"`
}

type ownerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
}

// object is a modelled Kubernetes object with kind-specific spec and status.
type object[Spec, Status any] struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       Spec       `json:"spec"`
	Status     Status     `json:"status"`
}

type nodeSpec struct {
	Unschedulable bool   `json:"unschedulable"`
	ProviderID    string `json:"providerID"`
}

type nodeStatus struct {
	Addresses []struct {
		Type    string `json:"type"`
		Address string `json:"address"`
	} `json:"addresses"`
	Capacity map[string]any `json:"capacity"`
	NodeInfo struct {
		KubeletVersion string `json:"kubeletVersion"`
		OSImage        string `json:"osImage"`
		Architecture   string `json:"architecture"`
	} `json:"nodeInfo"`
}

type container struct {
	Image string `json:"image"`
}

type podSpec struct {
	NodeName       string      `json:"nodeName"`
	Containers     []container `json:"containers"`
	InitContainers []container `json:"initContainers"`
	Volumes        []struct {
		Name                  string `json:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `json:"claimName"`
		} `json:"persistentVolumeClaim"`
		Ephemeral *struct{} `json:"ephemeral"`
	} `json:"volumes"`
}

type podStatus struct {
	Phase string `json:"phase"`
	PodIP string `json:"podIP"`
}

type labelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

type workloadSpec struct {
	Replicas *int64         `json:"replicas"`
	Selector *labelSelector `json:"selector"`
}

type serviceSpec struct {
	Type         string            `json:"type"`
	ClusterIP    string            `json:"clusterIP"`
	ExternalName string            `json:"externalName"`
	Selector     map[string]string `json:"selector"`
	Ports        []struct {
		Name       string `json:"name"`
		Protocol   string `json:"protocol"`
		Port       int64  `json:"port"`
		TargetPort any    `json:"targetPort"` // IntOrString
		NodePort   int64  `json:"nodePort"`
	} `json:"ports"`
}

type ingressBackend struct {
	Service *struct {
		Name string `json:"name"`
	} `json:"service"`
	ServiceName string `json:"serviceName"` // extensions/v1beta1 and networking.k8s.io/v1beta1
}

type ingressSpec struct {
	IngressClassName *string         `json:"ingressClassName"`
	DefaultBackend   *ingressBackend `json:"defaultBackend"`
	Backend          *ingressBackend `json:"backend"` // v1beta1 name of defaultBackend
	Rules            []struct {
		Host string `json:"host"`
		HTTP *struct {
			Paths []struct {
				Backend ingressBackend `json:"backend"`
			} `json:"paths"`
		} `json:"http"`
	} `json:"rules"`
}

// ingressAnnotations is read for Ingresses only, for the class set the
// pre-1.18 way; other objects' annotations are never read (they hold
// last-applied copies and tool state, neither stable nor wanted).
type ingressAnnotations struct {
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

type pvcSpec struct {
	StorageClassName *string  `json:"storageClassName"`
	AccessModes      []string `json:"accessModes"`
	VolumeName       string   `json:"volumeName"`
	Resources        struct {
		Requests map[string]any `json:"requests"`
	} `json:"resources"`
}

type storageStatus struct {
	Phase    string         `json:"phase"`
	Capacity map[string]any `json:"capacity"`
}

type pvSpec struct {
	StorageClassName string         `json:"storageClassName"`
	AccessModes      []string       `json:"accessModes"`
	Capacity         map[string]any `json:"capacity"`
	CSI              *struct {
		Driver       string `json:"driver"`
		VolumeHandle string `json:"volumeHandle"`
	} `json:"csi"`
}

// built is what one object turns into.
type built struct {
	item feed.Item
	// machine is the host under a Node, emitted after the node.
	machine *feed.Item
	links   []feed.Link
	attrs   map[string]any
}

// object reads one element and emits its item and links. defaultKind and
// defaultAPIVersion fill in what a typed list's items leave out.
func (s *stream) object(loc located, defaultKind, defaultAPIVersion string) error {
	var h header
	if err := s.unmarshal(loc, "", &h); err != nil {
		return err
	}
	kind := h.Kind
	if kind == "" {
		kind = defaultKind
	}
	apiVersion := h.APIVersion
	if apiVersion == "" {
		apiVersion = defaultAPIVersion
	}
	if kind == "" {
		what := "object"
		if h.Metadata.Name != "" {
			what = fmt.Sprintf("object %q", qualified(h.Metadata.Namespace, h.Metadata.Name))
		}
		return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, "kind"), Message: what + " has no kind"}
	}
	if strings.TrimSpace(h.Metadata.Name) == "" {
		return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, "metadata.name"), Message: kind + " has no metadata.name"}
	}
	// The API server never accepts these; a dump that has them was edited,
	// and the store would reject the CI's name anyway.
	for _, f := range []struct{ field, v string }{{"metadata.name", h.Metadata.Name}, {"metadata.namespace", h.Metadata.Namespace}} {
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 {
			return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, f.field),
				Message: fmt.Sprintf("%s %q: %s contains control characters", kind, qualified(h.Metadata.Namespace, h.Metadata.Name), f.field)}
		}
	}
	class, ok := modelled(kind, apiVersion)
	if !ok {
		s.p.skipped[kind]++
		return nil
	}
	what := kind + " " + qualified(h.Metadata.Namespace, h.Metadata.Name)

	var b *built
	var err error
	switch kind {
	case "Namespace":
		b, err = decodeAs[struct{}, struct{}](s, loc, what, class, apiVersion, kind, nil)
	case "Node":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.node)
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.workload)
	case "Pod":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.pod)
	case "Service":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.service)
	case "Ingress":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.ingress)
	case "PersistentVolumeClaim":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.pvc)
	case "PersistentVolume":
		b, err = decodeAs(s, loc, what, class, apiVersion, kind, s.pv)
	}
	if err != nil {
		return err
	}
	if size, err := json.Marshal(b.attrs); err != nil || len(size) > graph.MaxAttributesBytes {
		return &feed.InputError{At: s.lr.At(loc.pos(0)), Field: loc.field,
			Message: fmt.Sprintf("%s: its attributes (labels, ports...) are more than the %d bytes a CI may hold", what, graph.MaxAttributesBytes)}
	}
	b.item.Attributes = b.attrs
	if err := s.emit.Item(b.item); err != nil {
		return err
	}
	if b.machine != nil {
		if err := s.emit.Item(*b.machine); err != nil {
			return err
		}
	}
	for _, l := range b.links {
		if err := s.emit.Link(l); err != nil {
			return err
		}
	}
	return nil
}

// decodeAs decodes the object with its kind's spec and status types, builds
// the parts every kind shares, then lets fill add the kind's own.
func decodeAs[Spec, Status any](s *stream, loc located, what, class, apiVersion, kind string,
	fill func(loc located, what string, o *object[Spec, Status], b *built) error) (*built, error) {
	var o object[Spec, Status]
	if err := s.unmarshal(loc, what, &o); err != nil {
		return nil, err
	}
	m := o.Metadata
	at := s.lr.At(loc.pos(0))
	if loc.field != "" {
		at += " (" + loc.field + ")"
	}
	ns := m.Namespace
	if class == graph.ClassKubernetesNode || class == graph.ClassKubernetesNamespace || kind == "PersistentVolume" {
		ns = "" // cluster-scoped, whatever a hand-made dump says
	}
	nameID := s.p.nameID(kind, ns, m.Name)
	if len(nameID.Value) > graph.MaxIdentifierValue {
		return nil, &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, "metadata.name"),
			Message: fmt.Sprintf("%s: name and namespace are too long for a k8s-name identifier (%d bytes at most)", what, graph.MaxIdentifierValue)}
	}
	ids := make([]graph.Identifier, 0, 2)
	uid := strings.TrimSpace(m.UID)
	if uid != "" {
		if len(uid) > graph.MaxIdentifierValue {
			return nil, &feed.InputError{At: s.lr.At(loc.pos(0)), Field: joinField(loc.field, "metadata.uid"),
				Message: fmt.Sprintf("%s: metadata.uid is longer than %d bytes", what, graph.MaxIdentifierValue)}
		}
		ids = append(ids, graph.Identifier{Kind: IDUID, Value: uid})
	}
	ids = append(ids, nameID)
	attrs := map[string]any{"k8s.kind": kind}
	if apiVersion != "" {
		attrs["k8s.apiVersion"] = apiVersion
	}
	if ns != "" {
		attrs["k8s.namespace"] = ns
	}
	if len(m.Labels) > 0 {
		attrs["k8s.labels"] = stringMap(m.Labels)
	}
	if m.CreationTimestamp != nil && *m.CreationTimestamp != "" {
		attrs["k8s.created"] = *m.CreationTimestamp
	}
	b := &built{
		item: feed.Item{
			Class:       class,
			Name:        displayName(ns, m.Name),
			Identifiers: ids,
			At:          at,
		},
		attrs: attrs,
	}
	self := ids[0] // the uid when known: it survives nothing but the object
	switch {
	case kind == "Namespace":
		s.p.namespaceObjects[m.Name] = true
	case ns != "":
		s.p.noteNamespace(ns, s.file, at)
	}
	if ns != "" && containedKinds[kind] {
		b.link(s.p.nameID("Namespace", "", ns), graph.RelContains, self)
	}
	if fill != nil {
		if err := fill(loc, what, &o, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// containedKinds are the namespaced kinds a Namespace CONTAINS. Pods are
// left out on purpose: they are reached through their workloads, and a
// namespace edge to every pod would drown the graph.
var containedKinds = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"Service": true, "Ingress": true, "PersistentVolumeClaim": true,
}

func (b *built) link(from graph.Identifier, typ string, to graph.Identifier) {
	b.links = append(b.links, feed.Link{From: from, Type: typ, To: to, At: b.item.At})
}

func (b *built) self() graph.Identifier { return b.item.Identifiers[0] }

func (s *stream) node(loc located, what string, o *object[nodeSpec, nodeStatus], b *built) error {
	b.link(b.self(), graph.RelMemberOf, s.p.clusterID())
	st := o.Status
	if st.NodeInfo.KubeletVersion != "" {
		b.attrs["k8s.kubeletVersion"] = st.NodeInfo.KubeletVersion
	}
	if st.NodeInfo.OSImage != "" {
		b.attrs["k8s.osImage"] = st.NodeInfo.OSImage
	}
	if st.NodeInfo.Architecture != "" {
		b.attrs["k8s.architecture"] = st.NodeInfo.Architecture
	}
	if o.Spec.ProviderID != "" {
		b.attrs["k8s.providerID"] = o.Spec.ProviderID
	}
	if m := s.p.claimMachine(b.self(), machine(o)); m != nil {
		m.At = b.item.At + ", the node's machine"
		b.machine = m
		b.link(b.self(), graph.RelRunsOn, m.Identifiers[0])
	}
	b.attrs["k8s.unschedulable"] = o.Spec.Unschedulable
	if len(st.Addresses) > 0 {
		addrs := make([]any, 0, len(st.Addresses))
		for _, a := range st.Addresses {
			addrs = append(addrs, map[string]any{"type": a.Type, "address": a.Address})
		}
		b.attrs["k8s.addresses"] = addrs
	}
	capacity, err := s.quantities(loc, what, "status.capacity", st.Capacity, "cpu", "memory")
	if err != nil {
		return err
	}
	if len(capacity) > 0 {
		b.attrs["k8s.capacity"] = capacity
	}
	return nil
}

func (s *stream) pod(loc located, what string, o *object[podSpec, podStatus], b *built) error {
	ns := o.Metadata.Namespace
	for _, ref := range o.Metadata.OwnerReferences {
		if !podOwnerKinds[ref.Kind] || !isAppsGroup(ref.APIVersion) || (ref.Name == "" && ref.UID == "") {
			continue
		}
		l := feed.Link{From: b.self(), Type: graph.RelMemberOf, To: s.p.refID(ref, ns), At: b.item.At}
		if d := deploymentOf(ref, o.Metadata.Labels); d != "" {
			// `kubectl get pods,deployments` has no ReplicaSets: the pod
			// is then a member of the Deployment itself.
			l.Fallback = s.p.nameID("Deployment", ns, d)
		}
		b.links = append(b.links, l)
	}
	if o.Spec.NodeName != "" {
		b.link(b.self(), graph.RelRunsOn, s.p.nameID("Node", "", o.Spec.NodeName))
	}
	var claims []string
	for _, v := range o.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName != "":
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil && v.Name != "":
			// A generic ephemeral volume is a PVC the ephemeral controller
			// names <pod>-<volume>.
			claims = append(claims, o.Metadata.Name+"-"+v.Name)
		}
	}
	for _, c := range sortedUnique(claims) {
		b.link(b.self(), graph.RelDependsOn, s.p.nameID("PersistentVolumeClaim", ns, c))
	}
	var images []string
	for _, c := range o.Spec.InitContainers {
		images = append(images, c.Image)
	}
	for _, c := range o.Spec.Containers {
		images = append(images, c.Image)
	}
	if images = sortedUnique(images); len(images) > 0 {
		b.attrs["k8s.images"] = stringList(images)
	}
	if o.Spec.NodeName != "" {
		b.attrs["k8s.nodeName"] = o.Spec.NodeName
	}
	if o.Status.Phase != "" {
		b.attrs["k8s.phase"] = o.Status.Phase
	}
	if o.Status.PodIP != "" {
		b.attrs["k8s.podIP"] = o.Status.PodIP
	}
	if id := b.self(); !s.p.podSeen[id] {
		s.p.podSeen[id] = true
		s.p.pods = append(s.p.pods, podEntry{namespace: ns, labels: o.Metadata.Labels, id: id, file: s.file, at: b.item.At})
	}
	return nil
}

// deploymentOf names the Deployment of a Pod owned by a ReplicaSet: the
// Deployment controller names its ReplicaSets <deployment>-<hash> and
// labels their pods pod-template-hash=<hash>. "" when the owner is not a
// ReplicaSet or was not named that way (a ReplicaSet made by hand).
func deploymentOf(ref ownerReference, labels map[string]string) string {
	hash := labels["pod-template-hash"]
	if ref.Kind != "ReplicaSet" || hash == "" {
		return ""
	}
	d, ok := strings.CutSuffix(ref.Name, "-"+hash)
	if !ok || d == "" {
		return ""
	}
	return d
}

func isAppsGroup(apiVersion string) bool {
	g := apiGroup(apiVersion)
	return apiVersion == "" || g == "apps" || g == "extensions"
}

// refID names an owner: by uid, which every ownerReference the API server
// accepts carries, else by name in the owned object's namespace.
func (p *Parser) refID(ref ownerReference, ns string) graph.Identifier {
	if uid := strings.TrimSpace(ref.UID); uid != "" && len(uid) <= graph.MaxIdentifierValue {
		return graph.Identifier{Kind: IDUID, Value: uid}
	}
	return p.nameID(ref.Kind, ns, ref.Name)
}

func (s *stream) workload(loc located, what string, o *object[workloadSpec, struct{}], b *built) error {
	// A ReplicaSet scaled to zero (what a rollout leaves behind, ten deep by
	// default) runs nothing, yet as a member it would count as a healthy
	// one and keep its Deployment up while every live pod is down: it is
	// imported, but not as a member.
	idle := o.Spec.Replicas != nil && *o.Spec.Replicas == 0
	if b.attrs["k8s.kind"] == "ReplicaSet" && !idle {
		for _, ref := range o.Metadata.OwnerReferences {
			if ref.Kind == "Deployment" && isAppsGroup(ref.APIVersion) && (ref.Name != "" || ref.UID != "") {
				b.link(b.self(), graph.RelMemberOf, s.p.refID(ref, o.Metadata.Namespace))
			}
		}
	}
	if o.Spec.Replicas != nil {
		b.attrs["k8s.replicas"] = float64(*o.Spec.Replicas)
	}
	if sel := formatSelector(o.Spec.Selector); sel != "" {
		b.attrs["k8s.selector"] = sel
	}
	return nil
}

// formatSelector writes a label selector the way kubectl does
// ("app=web,tier in (a,b)"): one readable, comparable string.
func formatSelector(sel *labelSelector) string {
	if sel == nil {
		return ""
	}
	type req struct{ key, text string }
	var reqs []req
	for k, v := range sel.MatchLabels {
		reqs = append(reqs, req{k, k + "=" + v})
	}
	for _, e := range sel.MatchExpressions {
		vals := sortedUnique(append([]string(nil), e.Values...))
		list := "(" + strings.Join(vals, ",") + ")"
		var text string
		switch e.Operator {
		case "In":
			text = e.Key + " in " + list
		case "NotIn":
			text = e.Key + " notin " + list
		case "Exists":
			text = e.Key
		case "DoesNotExist":
			text = "!" + e.Key
		default:
			text = e.Key + " " + e.Operator + " " + list
		}
		reqs = append(reqs, req{e.Key, text})
	}
	sort.SliceStable(reqs, func(i, j int) bool {
		if reqs[i].key != reqs[j].key {
			return reqs[i].key < reqs[j].key
		}
		return reqs[i].text < reqs[j].text
	})
	texts := make([]string, len(reqs))
	for i, r := range reqs {
		texts[i] = r.text
	}
	return strings.Join(texts, ",")
}

func (s *stream) service(loc located, what string, o *object[serviceSpec, struct{}], b *built) error {
	sp := o.Spec
	if sp.Type != "" {
		b.attrs["k8s.type"] = sp.Type
	}
	if sp.ClusterIP != "" {
		b.attrs["k8s.clusterIP"] = sp.ClusterIP
	}
	if sp.ExternalName != "" {
		b.attrs["k8s.externalName"] = sp.ExternalName
	}
	if len(sp.Selector) > 0 {
		b.attrs["k8s.selector"] = stringMap(sp.Selector)
	}
	if len(sp.Ports) > 0 {
		ports := make([]any, 0, len(sp.Ports))
		for i, p := range sp.Ports {
			port := map[string]any{"port": float64(p.Port)}
			if p.Name != "" {
				port["name"] = p.Name
			}
			if p.Protocol != "" {
				port["protocol"] = p.Protocol
			}
			if p.NodePort != 0 {
				port["nodePort"] = float64(p.NodePort)
			}
			switch t := p.TargetPort.(type) {
			case nil:
			case float64, string:
				port["targetPort"] = t
			default:
				return s.fieldErr(loc, what, fmt.Sprintf("spec.ports[%d].targetPort", i), "targetPort must be a number or a port name")
			}
			ports = append(ports, port)
		}
		b.attrs["k8s.ports"] = ports
	}
	if len(sp.Selector) > 0 {
		if id := b.self(); !s.p.serviceSeen[id] {
			s.p.serviceSeen[id] = true
			s.p.services = append(s.p.services, serviceEntry{namespace: o.Metadata.Namespace, selector: sp.Selector, id: id})
		}
	}
	return nil
}

func (s *stream) ingress(loc located, what string, o *object[ingressSpec, struct{}], b *built) error {
	sp := o.Spec
	var services, hosts []string
	add := func(be *ingressBackend) {
		if be == nil {
			return
		}
		if be.Service != nil && be.Service.Name != "" {
			services = append(services, be.Service.Name)
		} else if be.ServiceName != "" {
			services = append(services, be.ServiceName)
		}
	}
	add(sp.DefaultBackend)
	add(sp.Backend)
	for _, r := range sp.Rules {
		hosts = append(hosts, r.Host)
		if r.HTTP != nil {
			for i := range r.HTTP.Paths {
				add(&r.HTTP.Paths[i].Backend)
			}
		}
	}
	for _, svc := range sortedUnique(services) {
		b.link(b.self(), graph.RelDependsOn, s.p.nameID("Service", o.Metadata.Namespace, svc))
	}
	if hosts = sortedUnique(hosts); len(hosts) > 0 {
		b.attrs["k8s.hosts"] = stringList(hosts)
	}
	class := ""
	if sp.IngressClassName != nil {
		class = *sp.IngressClassName
	} else {
		var a ingressAnnotations
		if err := s.unmarshal(loc, what, &a); err != nil {
			return err
		}
		class = a.Metadata.Annotations["kubernetes.io/ingress.class"]
	}
	if class != "" {
		b.attrs["k8s.ingressClass"] = class
	}
	return nil
}

func (s *stream) pvc(loc located, what string, o *object[pvcSpec, storageStatus], b *built) error {
	sp := o.Spec
	if sp.VolumeName != "" {
		b.link(b.self(), graph.RelDependsOn, s.p.nameID("PersistentVolume", "", sp.VolumeName))
	}
	if sp.StorageClassName != nil && *sp.StorageClassName != "" {
		b.attrs["k8s.storageClass"] = *sp.StorageClassName
	}
	// What the claim got when bound, else what it asks for.
	capacity, err := s.quantities(loc, what, "status.capacity", o.Status.Capacity, "storage")
	if err != nil {
		return err
	}
	if len(capacity) == 0 {
		if capacity, err = s.quantities(loc, what, "spec.resources.requests", sp.Resources.Requests, "storage"); err != nil {
			return err
		}
	}
	if v, ok := capacity["storage"]; ok {
		b.attrs["k8s.capacity"] = v
	}
	if modes := sortedUnique(append([]string(nil), sp.AccessModes...)); len(modes) > 0 {
		b.attrs["k8s.accessModes"] = stringList(modes)
	}
	if o.Status.Phase != "" {
		b.attrs["k8s.phase"] = o.Status.Phase
	}
	return nil
}

func (s *stream) pv(loc located, what string, o *object[pvSpec, storageStatus], b *built) error {
	sp := o.Spec
	if sp.StorageClassName != "" {
		b.attrs["k8s.storageClass"] = sp.StorageClassName
	}
	capacity, err := s.quantities(loc, what, "spec.capacity", sp.Capacity, "storage")
	if err != nil {
		return err
	}
	if v, ok := capacity["storage"]; ok {
		b.attrs["k8s.capacity"] = v
	}
	if modes := sortedUnique(append([]string(nil), sp.AccessModes...)); len(modes) > 0 {
		b.attrs["k8s.accessModes"] = stringList(modes)
	}
	if o.Status.Phase != "" {
		b.attrs["k8s.phase"] = o.Status.Phase
	}
	if sp.CSI != nil {
		// The bridge to the cloud disk or array volume behind the PV.
		if sp.CSI.Driver != "" {
			b.attrs["k8s.csiDriver"] = sp.CSI.Driver
		}
		if sp.CSI.VolumeHandle != "" {
			b.attrs["k8s.volumeHandle"] = sp.CSI.VolumeHandle
		}
	}
	return nil
}

// quantities picks resource quantities ("4", "16Gi") out of a capacity or
// requests map as strings, the form kubectl shows. The API writes them as
// strings; a bare number is accepted and printed the same way.
func (s *stream) quantities(loc located, what, field string, m map[string]any, keys ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range keys {
		v, ok := m[k]
		if !ok || v == nil {
			continue
		}
		switch q := v.(type) {
		case string:
			out[k] = q
		case float64:
			out[k] = strconv.FormatFloat(q, 'f', -1, 64)
		default:
			return nil, s.fieldErr(loc, what, field+"."+k, "a quantity must be a string such as \"4\" or \"16Gi\"")
		}
	}
	return out, nil
}

func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// displayName is namespace/name, cut to the length a CI name may have;
// identifiers, not the name, carry identity.
func displayName(namespace, name string) string {
	n := qualified(namespace, name)
	if utf8.RuneCountInString(n) <= graph.MaxNameLen {
		return n
	}
	r := []rune(n)
	return string(r[:graph.MaxNameLen-1]) + "…"
}

// stringMap and stringList give attributes the types a JSON round trip
// produces, so what the parser emits compares equal to what a store keeps.
func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stringList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}
