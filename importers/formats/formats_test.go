package formats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/graph/impact"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/eachstore"
)

// These tests run the real tools' output (the parsers' fixtures) through
// the engine on both stores: the whole path a `ripple import` takes.

func fixture(pkg, name string) string { return filepath.Join("..", pkg, "testdata", name) }

type importer struct {
	t      *testing.T
	engine *importers.Engine
}

func (im importer) run(format, scope, mapping string, dryRun bool, paths ...string) (importers.Run, *importers.Plan, error) {
	im.t.Helper()
	f, err := formats.Lookup(format)
	if err != nil {
		im.t.Fatal(err)
	}
	opts := formats.Options{Scope: scope}
	if mapping != "" {
		b, err := os.ReadFile(mapping)
		if err != nil {
			im.t.Fatal(err)
		}
		opts.Mapping = bytes.NewReader(b)
	}
	p, err := f.Parser(opts)
	if err != nil {
		im.t.Fatal(err)
	}
	inputs, err := importers.Files(paths, f.Extensions...)
	if err != nil {
		im.t.Fatal(err)
	}
	return im.engine.Run(context.Background(), importers.Request{Format: format, Scope: scope, DryRun: dryRun},
		importers.ReadInputs(p, inputs, nil))
}

func (im importer) mustRun(format, scope, mapping string, paths ...string) importers.Run {
	im.t.Helper()
	run, _, err := im.run(format, scope, mapping, false, paths...)
	if err != nil {
		im.t.Fatalf("import %s %v: %v", format, paths, err)
	}
	return run
}

func counts(run importers.Run) importers.Counts {
	c := run.Counts
	c.Items, c.Links = 0, 0
	return c
}

func TestNmapScansThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		e.Policy.RetireAfterRuns = 2
		im := importer{t, e}
		run := im.mustRun("nmap", "", "", fixture("nmap", "scan-3hosts.xml"))
		if run.Scope != "nmap:127.0.0.2-4" || counts(run) != (importers.Counts{Created: 3}) {
			t.Fatalf("first scan: scope %q counts %+v", run.Scope, run.Counts)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-3hosts-rescan.xml"))
		if counts(run) != (importers.Counts{Unchanged: 3}) {
			t.Fatalf("rescan of the same hosts: %+v, want 3 unchanged (plan %+v)", run.Counts, run.Plan.Updates)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-host-gone.xml"))
		if counts(run) != (importers.Counts{Unchanged: 2, Stale: 1}) || run.Plan.Stale[0].Name != "127.0.0.3" {
			t.Fatalf("scan without 127.0.0.3: %+v stale %+v", run.Counts, run.Plan.Stale)
		}
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-host-gone.xml"))
		if counts(run) != (importers.Counts{Unchanged: 2, Retired: 1}) {
			t.Fatalf("second scan without 127.0.0.3: %+v, want it retired", run.Counts)
		}
		page, err := s.ListCIs(context.Background(), graph.CIFilter{Status: graph.StatusRetired}, graph.Page{First: 5})
		if err != nil || len(page.CIs) != 1 || page.CIs[0].Name != "127.0.0.3" {
			t.Fatalf("retired CIs = %+v, %v", page.CIs, err)
		}
		// A port closes: the host is updated, its ports attribute shows it.
		run = im.mustRun("nmap", "", "", fixture("nmap", "scan-port-closed.xml"))
		if run.Counts.Updated < 1 {
			t.Fatalf("scan with a closed port: %+v, want an update", run.Counts)
		}
		// A truncated scan fails with its location and writes nothing.
		run, _, err = im.run("nmap", "", "", false, fixture("nmap", "truncated.xml"))
		var ie *importers.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.At, "line") || run.Outcome != importers.OutcomeFailed ||
			!strings.HasSuffix(run.ErrorFile, "truncated.xml") {
			t.Fatalf("truncated scan: %v, run %+v", err, run)
		}
	})
}

func TestTerraformStatesThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		run := im.mustRun("terraform", "", "", fixture("terraform", "v1.tfstate"))
		if !strings.HasPrefix(run.Scope, "tf:") || run.Counts.Created != run.Counts.Items || run.Counts.RelationsCreated == 0 || run.Counts.Problems != 0 {
			t.Fatalf("v1: scope %q counts %+v problems %+v", run.Scope, run.Counts, run.Plan.Problems)
		}
		again := im.mustRun("terraform", "", "", fixture("terraform", "v1.tfstate"))
		if counts(again) != (importers.Counts{Unchanged: run.Counts.Items}) {
			t.Fatalf("v1 again: %+v, want all unchanged", again.Counts)
		}
		v2, plan, err := im.run("terraform", "", "", true, fixture("terraform", "v2.tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		if v2.Scope != run.Scope || v2.Counts.Created == 0 || v2.Counts.Stale == 0 || plan == nil {
			t.Fatalf("v2 dry run: scope %q counts %+v", v2.Scope, v2.Counts)
		}
		var staleNames []string
		for _, st := range plan.Stale {
			staleNames = append(staleNames, st.Name)
		}
		if !strings.Contains(strings.Join(staleNames, " "), `bucket["assets"]`) {
			t.Fatalf("v2 stale = %v, want the removed bucket[\"assets\"]", staleNames)
		}
		// The AWS-shaped state (hand-written): its VMs, databases, load
		// balancers, volumes and clusters are found again on re-import.
		aws := im.mustRun("terraform", "", "", fixture("terraform", "aws-handwritten.tfstate"))
		if aws.Outcome != importers.OutcomeSucceeded || aws.Counts.Created != aws.Counts.Items || aws.Counts.Problems != 0 {
			t.Fatalf("aws: %s %+v problems %+v", aws.Outcome, aws.Counts, aws.Plan.Problems)
		}
		again = im.mustRun("terraform", "", "", fixture("terraform", "aws-handwritten.tfstate"))
		if counts(again) != (importers.Counts{Unchanged: aws.Counts.Items}) {
			t.Fatalf("aws again: %+v, want all unchanged (problems %+v)", again.Counts, again.Plan.Problems)
		}
		for class, want := range map[string]int{graph.ClassVirtualMachine: 6, graph.ClassDatabase: 1, graph.ClassLoadBalancer: 1,
			graph.ClassStorageVolume: 1, graph.ClassKubernetesCluster: 1} {
			page, err := s.ListCIs(context.Background(), graph.CIFilter{Class: class}, graph.Page{First: 10})
			if err != nil || page.TotalCount != want {
				t.Errorf("%d %s CIs (%v), want %d", page.TotalCount, class, err, want)
			}
		}
		if db := ciByIdentifier(t, s, "arn:aws:rds:eu-west-1:123456789012:db:main-db"); db.Class != graph.ClassDatabase || db.Environment != "production" {
			t.Errorf("main-db: %s environment %q", db.Class, db.Environment)
		}
	})
}

func TestCSVExportThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		mapping := fixture("tabular", "assets.mapping.json")
		run := im.mustRun("csv", "", mapping, fixture("tabular", "assets.csv"))
		if run.Scope != "asset-register" || run.Counts.Created == 0 || run.Counts.RelationsCreated == 0 {
			t.Fatalf("assets.csv: scope %q counts %+v problems %+v", run.Scope, run.Counts, run.Plan.Problems)
		}
		again := im.mustRun("csv", "", mapping, fixture("tabular", "assets.csv"))
		if again.Counts.Created+again.Counts.Updated+again.Counts.RelationsCreated != 0 {
			t.Fatalf("assets.csv again: %+v, want no change", again.Counts)
		}
		run, _, err := im.run("csv", "", mapping, false, fixture("tabular", "malformed/wrong-columns.csv"))
		var ie *importers.InputError
		if !errors.As(err, &ie) || ie.At != "line 1" || ie.Field == "" || run.Outcome != importers.OutcomeFailed {
			t.Fatalf("wrong columns: %v (%+v)", err, run)
		}
	})
}

func TestKubernetesDumpsThroughTheEngine(t *testing.T) {
	eachstore.Run(t, func(t *testing.T, s graph.Store) {
		e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
		im := importer{t, e}
		run := im.mustRun("kubernetes", "lab", "", fixture("kubernetes", "cluster.json"))
		if run.Counts.Created == 0 || run.Counts.RelationsCreated == 0 || run.Counts.Problems != 0 {
			t.Fatalf("cluster.json: %+v problems %+v", run.Counts, run.Plan.Problems)
		}
		// The same cluster dumped kind by kind, as a directory: same CIs,
		// same relations, nothing to do.
		dir := im.mustRun("kubernetes", "lab", "", fixture("kubernetes", "kinds"))
		if dir.Counts.Created+dir.Counts.Updated+dir.Counts.RelationsCreated+dir.Counts.Stale != 0 || dir.Counts.Problems != 0 {
			t.Fatalf("kinds/ after cluster.json: %+v, want no change (problems %+v)", dir.Counts, dir.Plan.Problems)
		}
		// After deleting Deployment shop/cart and node-3, they go stale.
		after, plan, err := im.run("kubernetes", "lab", "", false, fixture("kubernetes", "cluster-after.json"))
		if err != nil {
			t.Fatal(err)
		}
		var stale []string
		for _, st := range plan.Stale {
			stale = append(stale, st.Name)
		}
		joined := strings.Join(stale, " ")
		if !strings.Contains(joined, "shop/cart") || !strings.Contains(joined, "node-3") || after.Counts.StaleRelations == 0 {
			t.Fatalf("after the deletions: stale %v, counts %+v", stale, after.Counts)
		}
	})
}

// podNames lists the Pods of a kubectl dump, as namespace/name.
func podNames(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range list.Items {
		if it.Kind == "Pod" {
			out[it.Metadata.Namespace+"/"+it.Metadata.Name] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no pods", file)
	}
	return out
}

func ciNamed(t *testing.T, s graph.Store, class, name string) graph.CI {
	t.Helper()
	page, err := s.ListCIs(context.Background(), graph.CIFilter{Class: class, Search: name}, graph.Page{First: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range page.CIs {
		if ci.Name == name {
			return ci
		}
	}
	t.Fatalf("no %s %q", class, name)
	return graph.CI{}
}

// TestKubectlAsUsersRunIt imports the dumps of the commands users run,
// which leave out kinds their objects refer to (ReplicaSets, Namespaces,
// claims; Nodes for `get all`): the runs are complete, re-importing
// changes nothing, and a deleted pod goes stale, then is retired.
func TestKubectlAsUsersRunIt(t *testing.T) {
	for _, command := range []string{"pods-deployments-services-nodes", "all"} {
		t.Run(command, func(t *testing.T) {
			before := fixture("kubernetes", "commands/"+command+".json")
			after := fixture("kubernetes", "commands/"+command+"-after.json")
			// The pod the generator deleted, cart's, and those on node-3.
			var deleted []string
			still := podNames(t, after)
			for p := range podNames(t, before) {
				if !still[p] {
					deleted = append(deleted, p)
				}
			}
			if len(deleted) < 3 {
				t.Fatalf("deleted pods %v, want at least a web pod and cart's two", deleted)
			}
			eachstore.Run(t, func(t *testing.T, s graph.Store) {
				e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}
				e.Policy.RetireAfterRuns = 2
				im := importer{t, e}
				run, plan, err := im.run("kubernetes", "prod-eu", "", false, before)
				if err != nil || run.Outcome != importers.OutcomeSucceeded || run.Counts.Problems != 0 || run.Counts.Created == 0 {
					t.Fatalf("first import: %v %s %+v problems %+v", err, run.Outcome, run.Counts, plan.Problems)
				}
				// What the dump does not hold is recorded, not a problem.
				if run.Counts.UnresolvedLinks == 0 || len(plan.Unresolved) != run.Counts.UnresolvedLinks {
					t.Fatalf("unresolved links: %d counted, %d listed", run.Counts.UnresolvedLinks, len(plan.Unresolved))
				}
				for _, u := range plan.Unresolved {
					switch {
					case u.To.Kind == "k8s-uid": // a StatefulSet or DaemonSet owner
					case strings.Contains(u.To.Value, "/PersistentVolumeClaim/"), strings.Contains(u.To.Value, "/Node/"):
					default:
						t.Errorf("unexpected unresolved link %+v", u)
					}
				}
				// Namespaces come from the objects' metadata; web's pods are
				// members of web, its ReplicaSet or, without one, itself.
				var contains, members int
				for _, r := range plan.NewRelations {
					if r.From.Class == graph.ClassKubernetesNamespace && r.From.Name == "shop" && r.Type == graph.RelContains {
						contains++
					}
					if r.From.Class == graph.ClassPod && strings.HasPrefix(r.From.Name, "shop/web-") && r.Type == graph.RelMemberOf &&
						r.To.Class == graph.ClassKubernetesWorkload && strings.HasPrefix(r.To.Name, "shop/web") {
						members++
					}
				}
				if contains == 0 || members != 3 {
					t.Errorf("shop CONTAINS %d, web pods members of web %d (want 3)", contains, members)
				}
				again := im.mustRun("kubernetes", "prod-eu", "", before)
				if again.Outcome != importers.OutcomeSucceeded || counts(again) != (importers.Counts{Unchanged: run.Counts.Created, UnresolvedLinks: run.Counts.UnresolvedLinks}) {
					t.Fatalf("re-import: %s %+v, want everything unchanged", again.Outcome, again.Counts)
				}
				run, plan, err = im.run("kubernetes", "prod-eu", "", false, after)
				if err != nil || run.Outcome != importers.OutcomeSucceeded {
					t.Fatalf("after the deletions: %v %s problems %+v", err, run.Outcome, plan.Problems)
				}
				var stale []string
				for _, st := range plan.Stale {
					stale = append(stale, st.Name)
				}
				joined := " " + strings.Join(stale, " ") + " "
				for _, want := range append([]string{"shop/cart"}, deleted...) {
					if !strings.Contains(joined, " "+want+" ") {
						t.Errorf("stale after the deletions: %v, want %s", stale, want)
					}
				}
				for _, p := range deleted {
					if pod := ciNamed(t, s, graph.ClassPod, p); pod.Status != graph.StatusInService {
						t.Fatalf("a stale pod keeps its status until retired: %s is %s", p, pod.Status)
					}
				}
				run = im.mustRun("kubernetes", "prod-eu", "", after)
				if run.Outcome != importers.OutcomeSucceeded || run.Counts.Retired < len(deleted) {
					t.Fatalf("second run after the deletions: %s %+v, want retirements", run.Outcome, run.Counts)
				}
				for _, p := range deleted {
					if pod := ciNamed(t, s, graph.ClassPod, p); pod.Status != graph.StatusRetired {
						t.Errorf("deleted pod %s is %s, want RETIRED", p, pod.Status)
					}
				}
			})
		})
	}
}

// TestSourcesMeet: the Kubernetes node on an EC2 instance and Terraform's
// aws_instance meet, whichever is imported first: the node RUNS_ON the
// instance's CI, so the instance's blast radius holds the node and its
// pods; and an nmap scan of a machine's address updates that machine.
func TestSourcesMeet(t *testing.T) {
	state := fixture("terraform", "aws-handwritten.tfstate")
	dump := fixture("kubernetes", "commands/pods-deployments-services-nodes.json")
	for _, order := range []string{"terraform first", "kubernetes first"} {
		t.Run(order, func(t *testing.T) {
			eachstore.Run(t, func(t *testing.T, s graph.Store) {
				ctx := context.Background()
				im := importer{t, &importers.Engine{Store: s, Policy: formats.DefaultPolicy()}}
				runs := []func() importers.Run{
					func() importers.Run { return im.mustRun("terraform", "", "", state) },
					func() importers.Run { return im.mustRun("kubernetes", "prod-eu", "", dump) },
				}
				if order == "kubernetes first" {
					runs[0], runs[1] = runs[1], runs[0]
				}
				for _, run := range runs {
					if r := run(); r.Outcome != importers.OutcomeSucceeded || r.Counts.Problems != 0 {
						t.Fatalf("%s run: %s %+v problems %+v", r.Format, r.Outcome, r.Counts, r.Plan.Problems)
					}
				}
				// One CI per machine: Terraform's six VMs, the two nodes'
				// among them, and node-3's machine, which no state has.
				vms, err := s.ListCIs(ctx, graph.CIFilter{Class: graph.ClassVirtualMachine}, graph.Page{First: 50})
				if err != nil || vms.TotalCount != 6 {
					t.Fatalf("%d VirtualMachines (%v), want 6", vms.TotalCount, err)
				}
				vm := ciByIdentifier(t, s, "aws:i-0abc0000000000001")
				if vm.Class != graph.ClassVirtualMachine || vm.Name != "k8s-worker-1" || vm.Owner != "platform" || vm.Environment != "prod" {
					t.Fatalf("the instance: %s %q owner %q env %q", vm.Class, vm.Name, vm.Owner, vm.Environment)
				}
				br, err := impact.ComputeBlastRadius(ctx, s, []string{vm.ID}, 0, nil)
				if err != nil {
					t.Fatal(err)
				}
				var node bool
				pods := 0
				for _, hit := range br.Impacted {
					switch {
					case hit.CI.Class == graph.ClassKubernetesNode && hit.CI.Name == "node-1":
						node = true
					case hit.CI.Class == graph.ClassPod:
						pod, err := s.GetCI(ctx, hit.CI.ID)
						if err != nil {
							t.Fatal(err)
						}
						if pod.Attributes["k8s.nodeName"] != "node-1" {
							t.Errorf("pod %s on %v is in node-1's machine's blast radius", pod.Name, pod.Attributes["k8s.nodeName"])
						}
						pods++
					}
				}
				if !node || pods == 0 {
					t.Fatalf("blast radius of the instance: node-1 %v, %d pods (%d impacted)", node, pods, len(br.Impacted))
				}
				// nmap finds node-2's instance and node-3's machine by
				// address: it updates them, it makes no second Server.
				run, plan, err := im.run("nmap", "", "", false, writeScan(t, "192.0.2.12", "192.0.2.13"))
				if err != nil || run.Counts.Created != 0 || run.Counts.Updated != 2 || run.Counts.Problems != 0 {
					t.Fatalf("nmap: %v %+v problems %+v", err, run.Counts, plan.Problems)
				}
				if got := ciByIdentifier(t, s, "192.0.2.12"); got.Name != "k8s-worker-2" || got.Attributes["nmap.ports"] == nil {
					t.Fatalf("192.0.2.12 is %s %q %v", got.Class, got.Name, got.Attributes)
				}
			})
		})
	}
}

func ciByIdentifier(t *testing.T, s graph.Store, value string) graph.CI {
	t.Helper()
	page, err := s.ListCIs(context.Background(), graph.CIFilter{Identifier: value}, graph.Page{First: 5})
	if err != nil || len(page.CIs) != 1 {
		t.Fatalf("CIs with identifier %s: %d, %v", value, len(page.CIs), err)
	}
	return page.CIs[0]
}

// writeScan writes a small nmap document for the addresses, shaped like
// the real scans in ../nmap/testdata (which only reach loopback): written
// here, not by nmap.
func writeScan(t *testing.T, addrs ...string) string {
	t.Helper()
	var hosts strings.Builder
	for _, a := range addrs {
		fmt.Fprintf(&hosts, `<host starttime="1" endtime="2"><status state="up" reason="syn-ack" reason_ttl="0"/>
<address addr="%s" addrtype="ipv4"/><hostnames></hostnames>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/></port></ports>
</host>
`, a)
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -p 22 -oX scan.xml ` + strings.Join(addrs, " ") + `" start="1" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>
` + hosts.String() + `<runstats><finished time="3" timestr="" summary="" elapsed="1" exit="success"/><hosts up="2" down="0" total="2"/></runstats>
</nmaprun>
`
	path := filepath.Join(t.TempDir(), "scan.xml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
