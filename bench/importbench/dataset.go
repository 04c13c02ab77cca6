// Package importbench measures import throughput: a generated 100k-CI
// estate shaped like a Kubernetes dump plus a Terraform state, imported by
// the engine into each store, beside a plain batched UNWIND MERGE of the
// same rows into the same Neo4j.
package importbench

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
)

// Dataset is a generated estate: Kubernetes nodes, workloads and pods of
// one cluster, and cloud resources of one Terraform state with
// dependencies between them.
type Dataset struct {
	Items []importers.Item
	Links []importers.Link
}

// Generate builds a dataset of about n CIs: 1 % nodes, 5 % workloads, 64 %
// pods, 30 % cloud resources. Pods run on a node and belong to a workload;
// nodes belong to the cluster; cloud resources depend on one or two
// earlier ones.
func Generate(n int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, seed))
	var d Dataset
	cluster := graph.Identifier{Kind: "k8s-cluster", Value: "bench"}
	d.Items = append(d.Items, importers.Item{Class: graph.ClassKubernetesCluster, Name: "bench", Identifiers: []graph.Identifier{cluster}, At: "cluster"})
	nodes, workloads, cloud := max(n/100, 1), max(n/20, 1), n*30/100
	pods := n - 1 - nodes - workloads - cloud
	uid := func(kind string, i int) graph.Identifier {
		return graph.Identifier{Kind: "k8s-uid", Value: fmt.Sprintf("%s-%08d-0000-4000-8000-%012d", kind, i, i)}
	}
	for i := range nodes {
		id := uid("node", i)
		d.Items = append(d.Items, importers.Item{Class: graph.ClassKubernetesNode, Name: fmt.Sprintf("node-%d", i),
			Identifiers: []graph.Identifier{id, {Kind: "k8s-name", Value: fmt.Sprintf("bench/Node//node-%d", i)}},
			Attributes:  map[string]any{"k8s.kind": "Node", "k8s.kubeletVersion": "v1.32.4", "k8s.capacity": map[string]any{"cpu": "16", "memory": "64Gi"}},
			At:          fmt.Sprintf("nodes[%d]", i)})
		d.Links = append(d.Links, importers.Link{From: id, Type: graph.RelMemberOf, To: cluster})
	}
	for i := range workloads {
		d.Items = append(d.Items, importers.Item{Class: graph.ClassKubernetesWorkload, Name: fmt.Sprintf("ns-%d/deploy-%d", i%50, i),
			Identifiers: []graph.Identifier{uid("wl", i)},
			Attributes:  map[string]any{"k8s.kind": "Deployment", "k8s.namespace": fmt.Sprintf("ns-%d", i%50), "k8s.replicas": 3},
			At:          fmt.Sprintf("workloads[%d]", i)})
	}
	for i := range pods {
		id := uid("pod", i)
		w := rng.IntN(workloads)
		d.Items = append(d.Items, importers.Item{Class: graph.ClassPod, Name: fmt.Sprintf("ns-%d/deploy-%d-%d", w%50, w, i),
			Identifiers: []graph.Identifier{id},
			Attributes: map[string]any{"k8s.kind": "Pod", "k8s.namespace": fmt.Sprintf("ns-%d", w%50), "k8s.phase": "Running",
				"k8s.images": []any{fmt.Sprintf("registry.example.com/app-%d:1.%d", w, w%7)}},
			At: fmt.Sprintf("pods[%d]", i)})
		d.Links = append(d.Links,
			importers.Link{From: id, Type: graph.RelRunsOn, To: uid("node", rng.IntN(nodes))},
			importers.Link{From: id, Type: graph.RelMemberOf, To: uid("wl", w)})
	}
	tf := func(i int) graph.Identifier {
		return graph.Identifier{Kind: "tf-address", Value: fmt.Sprintf("bench-lineage/module.m%d.aws_instance.r[%d]", i%40, i)}
	}
	for i := range cloud {
		id := tf(i)
		d.Items = append(d.Items, importers.Item{Class: graph.ClassCloudResource, Name: fmt.Sprintf("r-%d", i),
			Identifiers: []graph.Identifier{id, {Kind: "cloud-id", Value: fmt.Sprintf("arn:aws:ec2:eu-west-1:123456789012:instance/i-%016x", i)}},
			Attributes:  map[string]any{"tf.type": "aws_instance", "tf.module": fmt.Sprintf("module.m%d", i%40), "tf.attributes": map[string]any{"instance_type": "m6i.large"}},
			At:          fmt.Sprintf("resources[%d]", i)})
		if i > 0 {
			first := rng.IntN(i)
			d.Links = append(d.Links, importers.Link{From: id, Type: graph.RelDependsOn, To: tf(first)})
			if second := rng.IntN(i); second != first && rng.IntN(2) == 0 {
				d.Links = append(d.Links, importers.Link{From: id, Type: graph.RelDependsOn, To: tf(second)})
			}
		}
	}
	return d
}

// Read feeds the dataset to an import run.
func (d Dataset) Read(ctx context.Context, emit importers.Emitter) error {
	for _, it := range d.Items {
		if err := emit.Item(it); err != nil {
			return err
		}
	}
	for _, l := range d.Links {
		if err := emit.Link(l); err != nil {
			return err
		}
	}
	return nil
}
