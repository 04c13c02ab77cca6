package terraform

import (
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// classes maps resource types to the catalogue classes that say what they
// are. Every type not listed is a CloudResource.
var classes = map[string]string{
	// Virtual machines.
	"aws_instance":                    graph.ClassVirtualMachine,
	"google_compute_instance":         graph.ClassVirtualMachine,
	"azurerm_linux_virtual_machine":   graph.ClassVirtualMachine,
	"azurerm_windows_virtual_machine": graph.ClassVirtualMachine,
	"azurerm_virtual_machine":         graph.ClassVirtualMachine,
	// Managed databases: the instance or server that serves them.
	"aws_db_instance":                    graph.ClassDatabase,
	"aws_rds_cluster":                    graph.ClassDatabase,
	"aws_rds_cluster_instance":           graph.ClassDatabase,
	"google_sql_database_instance":       graph.ClassDatabase,
	"azurerm_mssql_server":               graph.ClassDatabase,
	"azurerm_sql_server":                 graph.ClassDatabase,
	"azurerm_postgresql_server":          graph.ClassDatabase,
	"azurerm_postgresql_flexible_server": graph.ClassDatabase,
	"azurerm_mysql_server":               graph.ClassDatabase,
	"azurerm_mysql_flexible_server":      graph.ClassDatabase,
	"azurerm_mariadb_server":             graph.ClassDatabase,
	// Load balancers. A GCP load balancer has no single resource; its
	// forwarding rule holds the address clients reach, and fails with it.
	"aws_lb":                                graph.ClassLoadBalancer,
	"aws_alb":                               graph.ClassLoadBalancer,
	"aws_elb":                               graph.ClassLoadBalancer,
	"google_compute_forwarding_rule":        graph.ClassLoadBalancer,
	"google_compute_global_forwarding_rule": graph.ClassLoadBalancer,
	"azurerm_lb":                            graph.ClassLoadBalancer,
	// Block volumes.
	"aws_ebs_volume":       graph.ClassStorageVolume,
	"google_compute_disk":  graph.ClassStorageVolume,
	"azurerm_managed_disk": graph.ClassStorageVolume,
	// Managed Kubernetes control planes.
	"aws_eks_cluster":            graph.ClassKubernetesCluster,
	"google_container_cluster":   graph.ClassKubernetesCluster,
	"azurerm_kubernetes_cluster": graph.ClassKubernetesCluster,
}

// classOf returns the class of a resource type.
func classOf(typ string) string {
	if c, ok := classes[typ]; ok {
		return c
	}
	return graph.ClassCloudResource
}

// machine is how a virtual machine's state names the machine: the cloud
// instance (what a Kubernetes node's spec.providerID names) and the
// addresses and host names nmap or the node report.
type machine struct {
	instance func(attrs map[string]any) (graph.Identifier, bool)
	ips      []string // attribute paths of addresses: "private_ip", "network_interface.*.network_ip"
	names    []string // attribute paths of host names
}

// machines lists, per virtual machine type, where its state keeps the
// machine's identity.
var machines = map[string]machine{
	"aws_instance": {
		instance: func(a map[string]any) (graph.Identifier, bool) {
			return feed.CloudInstance(feed.CloudAWS, stringAttr(a, "id"))
		},
		ips:   []string{"private_ip", "public_ip", "secondary_private_ips.*", "ipv6_addresses.*"},
		names: []string{"private_dns", "public_dns"},
	},
	"google_compute_instance": {
		instance: func(a map[string]any) (graph.Identifier, bool) {
			return feed.CloudInstance(feed.CloudGCE,
				stringAttr(a, "project")+"/"+stringAttr(a, "zone")+"/"+stringAttr(a, "name"))
		},
		ips:   []string{"network_interface.*.network_ip", "network_interface.*.access_config.*.nat_ip"},
		names: []string{"hostname"},
	},
	"azurerm_linux_virtual_machine":   azureVM,
	"azurerm_windows_virtual_machine": azureVM,
	"azurerm_virtual_machine":         {instance: azureVM.instance},
}

var azureVM = machine{
	instance: func(a map[string]any) (graph.Identifier, bool) {
		return feed.CloudInstance(feed.CloudAzure, stringAttr(a, "id"))
	},
	ips:   []string{"private_ip_address", "public_ip_address", "private_ip_addresses.*", "public_ip_addresses.*"},
	names: []string{"computer_name"},
}

// machineIdentifiers returns the identifiers a virtual machine is known by
// outside Terraform: its cloud instance, then its addresses and names, the
// way nmap reports hosts.
func machineIdentifiers(typ string, attrs map[string]any) []graph.Identifier {
	m, ok := machines[typ]
	if !ok || attrs == nil {
		return nil
	}
	var out []graph.Identifier
	if id, ok := m.instance(attrs); ok {
		out = append(out, id)
	}
	seen := map[string]bool{}
	for _, p := range m.ips {
		for _, v := range stringsAt(attrs, p) {
			if ip, ok := feed.CanonicalIP(v); ok && !seen[ip] {
				seen[ip] = true
				out = append(out, graph.Identifier{Kind: feed.KindIP, Value: ip})
			}
		}
	}
	var names []string
	for _, p := range m.names {
		names = append(names, stringsAt(attrs, p)...)
	}
	return append(out, feed.HostNameIdentifiers(names)...)
}

// stringsAt returns the strings at a dotted attribute path, where "*"
// steps into every element of a list.
func stringsAt(v any, path string) []string {
	if path == "" {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			return []string{strings.TrimSpace(s)}
		}
		return nil
	}
	step, rest, _ := strings.Cut(path, ".")
	if step == "*" {
		list, _ := v.([]any)
		var out []string
		for _, e := range list {
			out = append(out, stringsAt(e, rest)...)
		}
		return out
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	return stringsAt(m[step], rest)
}

// Tag keys that carry a resource's owner and environment, as teams spell
// them: AWS and Azure "tags", Google "labels" (lower case by rule there).
var (
	ownerKeys       = []string{"owner", "Owner", "OWNER"}
	environmentKeys = []string{"environment", "Environment", "ENVIRONMENT", "env", "Env", "ENV"}
)

// ownerAndEnvironment reads the owner and environment tags or labels of a
// resource; "" when absent or unusable as a CI field.
func ownerAndEnvironment(attrs map[string]any) (owner, environment string) {
	for _, key := range []string{"tags", "labels"} {
		tags, ok := attrs[key].(map[string]any)
		if !ok {
			continue
		}
		if owner == "" {
			owner = tagValue(tags, ownerKeys)
		}
		if environment == "" {
			environment = tagValue(tags, environmentKeys)
		}
	}
	return owner, environment
}

// tagValue returns the value of the first key present, in the order given,
// when it fits a CI's owner or environment.
func tagValue(tags map[string]any, keys []string) string {
	for _, k := range keys {
		v := validName(stringAttr(tags, k))
		if v != "" && len([]rune(v)) <= graph.MaxShortFieldLen {
			return v
		}
	}
	return ""
}
