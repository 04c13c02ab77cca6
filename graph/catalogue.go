package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Propagation says which way a failure travels along a relation type.
type Propagation string

// Propagation kinds. For A -T-> B:
const (
	// PropagateToSource: B failing impacts A (DEPENDS_ON, RUNS_ON, ...).
	PropagateToSource Propagation = "TO_SOURCE"
	// PropagateToTarget: A failing impacts B (CONTAINS: rack → server).
	PropagateToTarget Propagation = "TO_TARGET"
	// PropagateNone: recorded only; failures do not cross it.
	PropagateNone Propagation = "NONE"
)

// Class describes a kind of CI.
type Class struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Service marks business and application services: the things SLAs are
	// attached to and blast radius reports separately.
	Service bool `json:"service,omitempty"`
	// RedundancyGroup marks classes whose CIs can be the target of a
	// grouping relation (MEMBER_OF): they fail only when too few members
	// are healthy.
	RedundancyGroup bool `json:"redundancyGroup,omitempty"`
	// Monitored declares whether monitoring watches CIs of this class:
	// false means they raise nothing when they fail, so root-cause ranking
	// does not count their silence against a cause. Nil: unknown, learned
	// from the incident history. A CI's own "monitored" attribute wins.
	Monitored *bool `json:"monitored,omitempty"`
}

// RelationType describes a kind of relation and how failure crosses it.
type RelationType struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Propagation Propagation `json:"propagation"`
	// Grouping marks membership of a redundancy group (A member of group
	// B): B's health is decided by its members' health against its
	// minHealthy threshold instead of by the worst member. Failure flows
	// from member to group, so a grouping type propagates TO_TARGET.
	Grouping bool `json:"grouping,omitempty"`
	// FromClasses and ToClasses, when non-empty, are the only classes
	// allowed at each end.
	FromClasses []string `json:"fromClasses,omitempty"`
	ToClasses   []string `json:"toClasses,omitempty"`
	// ForbiddenFrom and ForbiddenTo list classes never allowed at each end.
	ForbiddenFrom []string `json:"forbiddenFrom,omitempty"`
	ForbiddenTo   []string `json:"forbiddenTo,omitempty"`
}

// Flow returns the ends of a relation of this type, from -type-> to, the
// way failure travels: cause failing affects affected. ok is false when
// failures do not cross the relation (and for the zero RelationType that
// looking up an unknown type gives).
func (rt RelationType) Flow(from, to string) (cause, affected string, ok bool) {
	switch rt.Propagation {
	case PropagateToSource:
		return to, from, true
	case PropagateToTarget:
		return from, to, true
	}
	return "", "", false
}

// Built-in class names.
const (
	ClassBusinessService     = "BusinessService"
	ClassApplicationService  = "ApplicationService"
	ClassApplication         = "Application"
	ClassDatabase            = "Database"
	ClassServer              = "Server"
	ClassVirtualMachine      = "VirtualMachine"
	ClassHypervisor          = "Hypervisor"
	ClassContainer           = "Container"
	ClassPod                 = "Pod"
	ClassKubernetesNode      = "KubernetesNode"
	ClassKubernetesCluster   = "KubernetesCluster"
	ClassKubernetesNamespace = "KubernetesNamespace"
	ClassKubernetesWorkload  = "KubernetesWorkload"
	ClassKubernetesService   = "KubernetesService"
	ClassCluster             = "Cluster"
	ClassLoadBalancer        = "LoadBalancer"
	ClassNetworkDevice       = "NetworkDevice"
	ClassStorageVolume       = "StorageVolume"
	ClassCloudResource       = "CloudResource"
	ClassRack                = "Rack"
	ClassDataCenter          = "DataCenter"
)

// Built-in relation type names.
const (
	RelDependsOn  = "DEPENDS_ON"
	RelRunsOn     = "RUNS_ON"
	RelHostedOn   = "HOSTED_ON"
	RelMemberOf   = "MEMBER_OF"
	RelContains   = "CONTAINS"
	RelConnectsTo = "CONNECTS_TO"
)

var (
	classNameRE    = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)
	relationNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

var serviceClasses = []string{ClassBusinessService, ClassApplicationService}

// physicalClasses are places and boxes: they can hold things but never
// depend on, run on or be hosted by software.
var physicalClasses = []string{ClassRack, ClassDataCenter}

func builtinClasses() []Class {
	return []Class{
		{Name: ClassBusinessService, Service: true, Description: "A service the business consumes and pays for."},
		{Name: ClassApplicationService, Service: true, Description: "A technical service offered by applications to other services."},
		{Name: ClassApplication, Description: "A deployed piece of software."},
		{Name: ClassDatabase, Description: "A database instance or schema."},
		{Name: ClassServer, Description: "A physical server."},
		{Name: ClassVirtualMachine, Description: "A virtual machine."},
		{Name: ClassHypervisor, Description: "A host running virtual machines."},
		{Name: ClassContainer, Description: "A container."},
		{Name: ClassPod, Description: "A Kubernetes pod."},
		{Name: ClassKubernetesNode, Description: "A Kubernetes worker or control-plane node."},
		{Name: ClassKubernetesCluster, RedundancyGroup: true, Description: "A Kubernetes cluster; its nodes are its members."},
		{Name: ClassKubernetesNamespace, Description: "A Kubernetes namespace; it contains the objects in it."},
		{Name: ClassKubernetesWorkload, RedundancyGroup: true, Description: "A Deployment, StatefulSet, DaemonSet or ReplicaSet: down only when too few of its pods are up."},
		{Name: ClassKubernetesService, RedundancyGroup: true, Description: "A Kubernetes Service: the pods it selects are its members."},
		{Name: ClassCluster, RedundancyGroup: true, Description: "A redundancy group: down only when fewer than minHealthy members are up."},
		{Name: ClassLoadBalancer, Description: "A load balancer."},
		{Name: ClassNetworkDevice, Description: "A switch, router or firewall."},
		{Name: ClassStorageVolume, Description: "A disk, volume or file share."},
		{Name: ClassCloudResource, Description: "A resource managed by a cloud provider."},
		{Name: ClassRack, Description: "A rack in a data center."},
		{Name: ClassDataCenter, Description: "A data center or site."},
	}
}

func builtinRelationTypes() []RelationType {
	return []RelationType{
		{Name: RelDependsOn, Propagation: PropagateToSource,
			Description:   "A depends on B: B failing impacts A.",
			ForbiddenFrom: physicalClasses},
		{Name: RelRunsOn, Propagation: PropagateToSource,
			Description:   "A runs on B: B failing impacts A.",
			ForbiddenFrom: physicalClasses, ForbiddenTo: serviceClasses},
		{Name: RelHostedOn, Propagation: PropagateToSource,
			Description:   "A is hosted on B: B failing impacts A.",
			ForbiddenFrom: physicalClasses, ForbiddenTo: serviceClasses},
		{Name: RelMemberOf, Propagation: PropagateToTarget, Grouping: true,
			Description: "A is a member of redundancy group B: B is down only when too few members are up.",
			ToClasses:   []string{ClassCluster, ClassKubernetesCluster, ClassKubernetesWorkload, ClassKubernetesService}},
		{Name: RelContains, Propagation: PropagateToTarget,
			Description: "A contains B: A failing impacts B (rack → server).",
			ForbiddenTo: append(append([]string{}, serviceClasses...), ClassDataCenter)},
		{Name: RelConnectsTo, Propagation: PropagateNone,
			Description: "A is connected to B; recorded, does not propagate failure unless configured."},
	}
}

// Catalogue is the set of known CI classes and relation types. It is
// immutable once built and safe for concurrent use.
type Catalogue struct {
	classes   map[string]Class
	relations map[string]RelationType
}

// DefaultCatalogue returns the built-in catalogue.
func DefaultCatalogue() *Catalogue {
	c, err := NewCatalogue(builtinClasses(), builtinRelationTypes())
	if err != nil {
		panic(err) // the built-ins are constants; a failure here is a bug
	}
	return c
}

// NewCatalogue builds a catalogue, checking names and references.
func NewCatalogue(classes []Class, relations []RelationType) (*Catalogue, error) {
	c := &Catalogue{classes: map[string]Class{}, relations: map[string]RelationType{}}
	for i, cl := range classes {
		if !classNameRE.MatchString(cl.Name) {
			return nil, Invalid(fmt.Sprintf("classes[%d].name", i), "class name %q must match %s", cl.Name, classNameRE)
		}
		c.classes[cl.Name] = cl
	}
	for i, rt := range relations {
		field := fmt.Sprintf("relationTypes[%d]", i)
		if !relationNameRE.MatchString(rt.Name) {
			return nil, Invalid(field+".name", "relation type %q must match %s", rt.Name, relationNameRE)
		}
		switch rt.Propagation {
		case PropagateToSource, PropagateToTarget, PropagateNone:
		case "":
			rt.Propagation = PropagateNone
		default:
			return nil, Invalid(field+".propagation", "unknown propagation %q (want TO_SOURCE, TO_TARGET or NONE)", rt.Propagation)
		}
		if rt.Grouping && rt.Propagation != PropagateToTarget {
			return nil, Invalid(field+".grouping", "a grouping relation must propagate TO_TARGET (member → group)")
		}
		for _, list := range [][]string{rt.FromClasses, rt.ToClasses, rt.ForbiddenFrom, rt.ForbiddenTo} {
			for _, name := range list {
				if _, ok := c.classes[name]; !ok {
					return nil, Invalid(field, "relation type %s names unknown class %q", rt.Name, name)
				}
			}
		}
		c.relations[rt.Name] = rt
	}
	return c, nil
}

// CatalogueOverlay is the JSON shape of a catalogue extension file: classes
// and relation types to add, or to replace when the name already exists.
type CatalogueOverlay struct {
	Classes       []Class        `json:"classes"`
	RelationTypes []RelationType `json:"relationTypes"`
}

// Extend returns a new catalogue with the overlay read from r applied on top
// of c. Entries with an existing name replace the built-in entry, which is how
// an operator makes CONNECTS_TO propagate, for example.
func (c *Catalogue) Extend(r io.Reader) (*Catalogue, error) {
	var ov CatalogueOverlay
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ov); err != nil {
		return nil, Invalid("catalogue", "cannot parse catalogue file: %v", err)
	}
	classes := c.Classes()
	for _, cl := range ov.Classes {
		classes = replaceOrAppend(classes, cl, func(x Class) string { return x.Name })
	}
	rels := c.RelationTypes()
	for _, rt := range ov.RelationTypes {
		rels = replaceOrAppend(rels, rt, func(x RelationType) string { return x.Name })
	}
	return NewCatalogue(classes, rels)
}

func replaceOrAppend[T any](list []T, item T, name func(T) string) []T {
	for i := range list {
		if name(list[i]) == name(item) {
			list[i] = item
			return list
		}
	}
	return append(list, item)
}

// Classes returns all classes sorted by name.
func (c *Catalogue) Classes() []Class {
	out := make([]Class, 0, len(c.classes))
	for _, cl := range c.classes {
		out = append(out, cl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RelationTypes returns all relation types sorted by name.
func (c *Catalogue) RelationTypes() []RelationType {
	out := make([]RelationType, 0, len(c.relations))
	for _, rt := range c.relations {
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Class looks up a class by name.
func (c *Catalogue) Class(name string) (Class, bool) {
	cl, ok := c.classes[name]
	return cl, ok
}

// RelationType looks up a relation type by name.
func (c *Catalogue) RelationType(name string) (RelationType, bool) {
	rt, ok := c.relations[name]
	return rt, ok
}

// IsService reports whether the class is a business or application service.
func (c *Catalogue) IsService(class string) bool { return c.classes[class].Service }

// CheckClass returns INVALID_INPUT naming field when class is unknown.
func (c *Catalogue) CheckClass(field, class string) error {
	if _, ok := c.classes[class]; !ok {
		return Invalid(field, "unknown class %q", class)
	}
	return nil
}

// CheckRelationType returns INVALID_INPUT naming field when the type is
// unknown. Callers that splice type names into queries rely on this check.
func (c *Catalogue) CheckRelationType(field, typ string) error {
	if _, ok := c.relations[typ]; !ok {
		return c.unknownRelationType(field, typ)
	}
	return nil
}

// unknownRelationType is the error for a relation type the catalogue does
// not have; it lists the ones it has, so the caller can correct the name.
func (c *Catalogue) unknownRelationType(field, typ string) *Error {
	names := make([]string, 0, len(c.relations))
	for name := range c.relations {
		names = append(names, name)
	}
	sort.Strings(names)
	return Invalid(field, "unknown relation type %q (valid: %s)", typ, strings.Join(names, ", "))
}

// CheckRelation validates a relation's type and the classes at its ends.
func (c *Catalogue) CheckRelation(typ, fromClass, toClass string) error {
	rt, ok := c.relations[typ]
	if !ok {
		return c.unknownRelationType("type", typ)
	}
	if len(rt.FromClasses) > 0 && !contains(rt.FromClasses, fromClass) {
		return Invalid("type", "%s may not start at a %s (allowed: %v)", typ, fromClass, rt.FromClasses)
	}
	if len(rt.ToClasses) > 0 && !contains(rt.ToClasses, toClass) {
		return Invalid("type", "%s may not point to a %s (allowed: %v)", typ, toClass, rt.ToClasses)
	}
	if contains(rt.ForbiddenFrom, fromClass) {
		return Invalid("type", "%s may not start at a %s", typ, fromClass)
	}
	if contains(rt.ForbiddenTo, toClass) {
		return Invalid("type", "%s may not point to a %s", typ, toClass)
	}
	if rt.Grouping && !c.classes[toClass].RedundancyGroup {
		return Invalid("type", "%s must point to a redundancy group class, not %s", typ, toClass)
	}
	return nil
}

// TraversalTypes returns the relation types that carry failure, filtered by
// the caller's list when it is non-empty, split by which way they are walked.
// Unknown names in filter are rejected; non-propagating names are ignored
// because failure does not cross them.
func (c *Catalogue) TraversalTypes(filter []string) (toSource, toTarget []string, err error) {
	if len(filter) == 0 {
		for name := range c.relations {
			filter = append(filter, name)
		}
	}
	seen := map[string]bool{}
	for i, name := range filter {
		rt, ok := c.relations[name]
		if !ok {
			return nil, nil, c.unknownRelationType(fmt.Sprintf("types[%d]", i), name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		switch rt.Propagation {
		case PropagateToSource:
			toSource = append(toSource, name)
		case PropagateToTarget:
			toTarget = append(toTarget, name)
		}
	}
	sort.Strings(toSource)
	sort.Strings(toTarget)
	return toSource, toTarget, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// GroupingTypes returns the names of the relation types that make their
// source a member of a redundancy group, sorted.
func (c *Catalogue) GroupingTypes() []string {
	var out []string
	for name, rt := range c.relations {
		if rt.Grouping {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
