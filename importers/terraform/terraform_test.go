package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// recorder is an Emitter that keeps everything, plus the order of calls.
type recorder struct {
	scopes []string
	items  []feed.Item
	links  []feed.Link
	events []string
}

func (r *recorder) Scope(s string) error {
	r.scopes = append(r.scopes, s)
	r.events = append(r.events, "scope")
	return nil
}

func (r *recorder) Item(it feed.Item) error {
	r.items = append(r.items, it)
	r.events = append(r.events, "item")
	return nil
}

func (r *recorder) Link(l feed.Link) error {
	r.links = append(r.links, l)
	r.events = append(r.events, "link")
	return nil
}

func parse(t testing.TB, data []byte) (*recorder, Stats, error) {
	t.Helper()
	rec := &recorder{}
	st, err := New().(*Parser).ParseStats(context.Background(), "test.tfstate", bytes.NewReader(data), rec)
	return rec, st, err
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureState is what the tests read of a fixture with plain
// json.Unmarshal, as an oracle independent of the streaming parser.
type fixtureState struct {
	Lineage string `json:"lineage"`
	Outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	} `json:"outputs"`
}

func loadState(t testing.TB, name string) fixtureState {
	t.Helper()
	var s fixtureState
	if err := json.Unmarshal(readFixture(t, name), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// managedAddresses reads what `terraform state list` printed when the
// fixture was generated, minus data sources.
func managedAddresses(t testing.TB, name string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(readFixture(t, name))), "\n") {
		if strings.HasPrefix(stripKeys(l), "data.") || strings.Contains(stripKeys(l), ".data.") {
			continue
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func byAddress(rec *recorder) map[string]feed.Item {
	m := map[string]feed.Item{}
	for _, it := range rec.items {
		m[it.Attributes["tf.address"].(string)] = it
	}
	return m
}

func identifier(it feed.Item, kind string) string {
	for _, id := range it.Identifiers {
		if id.Kind == kind {
			return id.Value
		}
	}
	return ""
}

func tfAttrs(it feed.Item) map[string]any {
	m, _ := it.Attributes["tf.attributes"].(map[string]any)
	return m
}

// linksFrom lists the addresses an instance's links point to, sorted.
func linksFrom(rec *recorder, lineage, address string) []string {
	var out []string
	for _, l := range rec.links {
		if l.From.Value == lineage+"/"+address {
			out = append(out, strings.TrimPrefix(l.To.Value, lineage+"/"))
		}
	}
	sort.Strings(out)
	return out
}

// checkValid holds every item and link to what the graph and the engine
// will demand of them: the parser must not emit anything the store rejects.
func checkValid(t testing.TB, rec *recorder) {
	t.Helper()
	cat := graph.DefaultCatalogue()
	ids := map[graph.Identifier]bool{}
	for _, it := range rec.items {
		name, class := it.Name, it.Class
		in := graph.CIInput{Name: &name, Class: &class, Attributes: it.Attributes, Identifiers: it.Identifiers}
		if err := cat.ValidateCIInput(in); err != nil {
			t.Fatalf("item %s (%s) is not a valid CI: %v", it.Name, it.At, err)
		}
		if len(it.Identifiers) == 0 || it.Identifiers[0].Kind != KindAddress {
			t.Fatalf("item %s: first identifier is not a tf-address: %v", it.Name, it.Identifiers)
		}
		for _, id := range it.Identifiers {
			if ids[id] {
				t.Fatalf("identifier %v is on two items", id)
			}
			ids[id] = true
		}
	}
	for _, l := range rec.links {
		if l.Type != graph.RelDependsOn {
			t.Fatalf("link type %q", l.Type)
		}
		if err := cat.CheckRelation(l.Type, graph.ClassCloudResource, graph.ClassCloudResource); err != nil {
			t.Fatal(err)
		}
		if !ids[l.From] || !ids[l.To] {
			t.Fatalf("link %v -> %v names an item that was not emitted", l.From, l.To)
		}
	}
}

func TestRealFixtures(t *testing.T) {
	tests := []struct {
		file, addresses string
		instances       int
		links           int
		monitorLinks    int // depends_on = [module.b] plus the buckets it reads
		stats           Stats
	}{
		{
			file: "v1.tfstate", addresses: "v1.addresses", instances: 22, links: 58, monitorLinks: 17,
			stats: Stats{Resources: 14, Instances: 22, Links: 58, DataResources: 1, DataDependencies: 12},
		},
		{
			file: "v2.tfstate", addresses: "v2.addresses", instances: 23, links: 61, monitorLinks: 16,
			stats: Stats{Resources: 15, Instances: 23, Links: 61, DataResources: 1, DataDependencies: 13},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			fx := loadState(t, tc.file)
			rec, st, err := parse(t, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkValid(t, rec)
			if want := []string{"tf:" + fx.Lineage}; !reflect.DeepEqual(rec.scopes, want) {
				t.Errorf("scopes = %q, want %q", rec.scopes, want)
			}
			if rec.events[0] != "scope" {
				t.Errorf("first event %q, want scope", rec.events[0])
			}
			if len(rec.items) != tc.instances || len(rec.links) != tc.links {
				t.Errorf("%d items, %d links; want %d, %d", len(rec.items), len(rec.links), tc.instances, tc.links)
			}
			if st != tc.stats {
				t.Errorf("stats = %+v\nwant    %+v", st, tc.stats)
			}

			// Addresses exactly as terraform state list printed them,
			// for_each keys with quotes, "$${" and non-ASCII included.
			var got []string
			for _, it := range rec.items {
				got = append(got, it.Attributes["tf.address"].(string))
			}
			sort.Strings(got)
			if want := managedAddresses(t, tc.addresses); !reflect.DeepEqual(got, want) {
				t.Errorf("addresses:\n got %q\nwant %q", got, want)
			}

			for _, it := range rec.items {
				addr := it.Attributes["tf.address"].(string)
				if it.Class != graph.ClassCloudResource || it.Name != addr || it.At == "" {
					t.Errorf("%s: class %q name %q at %q", addr, it.Class, it.Name, it.At)
				}
				if got, want := identifier(it, KindAddress), fx.Lineage+"/"+addr; got != want {
					t.Errorf("%s: tf-address %q, want %q", addr, got, want)
				}
				if got, want := identifier(it, KindCloudID), "terraform_data:"+tfAttrs(it)["id"].(string); got != want {
					t.Errorf("%s: cloud-id %q, want %q", addr, got, want)
				}
				if it.Attributes["tf.type"] != "terraform_data" || it.Attributes["tf.provider"] != "terraform.io/builtin/terraform" {
					t.Errorf("%s: attributes %v", addr, it.Attributes)
				}
				mod, hasMod := it.Attributes["tf.module"].(string)
				if wantMod := strings.HasPrefix(addr, "module."); hasMod != wantMod || (hasMod && !strings.HasPrefix(addr, mod+".terraform_data.")) {
					t.Errorf("%s: tf.module %q", addr, mod)
				}
				for _, k := range []string{"schema_version", "private", "create_before_destroy", "status", "sensitive_attributes"} {
					if _, ok := tfAttrs(it)[k]; ok {
						t.Errorf("%s: tf.attributes has %q", addr, k)
					}
				}
			}

			items := byAddress(rec)
			// The ids terraform itself reported as outputs.
			var network string
			var webs []string
			json.Unmarshal(fx.Outputs["network_id"].Value, &network)
			json.Unmarshal(fx.Outputs["web_ids"].Value, &webs)
			if got := identifier(items["terraform_data.network"], KindCloudID); got != "terraform_data:"+network {
				t.Errorf("network cloud-id %q, output says %q", got, network)
			}
			if len(webs) != 3 || identifier(items["terraform_data.web[1]"], KindCloudID) != "terraform_data:"+webs[1] {
				t.Errorf("web[1] cloud-id %q, outputs %q", identifier(items["terraform_data.web[1]"], KindCloudID), webs)
			}
			if got := items["module.a.module.sub.terraform_data.leaf"].Attributes["tf.module"]; got != "module.a.module.sub" {
				t.Errorf("nested module %v", got)
			}
			if got := items[`module.edge["eu"].terraform_data.leaf`].Attributes["tf.module"]; got != `module.edge["eu"]` {
				t.Errorf("for_each module %v", got)
			}

			// Dependencies expand to every instance, including resources
			// written later in the file and module instances.
			for from, want := range map[string][]string{
				`terraform_data.bucket["logs"]`:           {"terraform_data.network", "terraform_data.web[0]", "terraform_data.web[1]", "terraform_data.web[2]"},
				"terraform_data.dns":                      {`module.edge["eu"].terraform_data.leaf`, `module.edge["us"].terraform_data.leaf`},
				"module.a.module.sub.terraform_data.leaf": {"module.a.terraform_data.svc[0]", "module.a.terraform_data.svc[1]"},
				"terraform_data.network":                  nil, // depends on the data source only
			} {
				if got := linksFrom(rec, fx.Lineage, from); !reflect.DeepEqual(got, want) {
					t.Errorf("links from %s:\n got %q\nwant %q", from, got, want)
				}
			}
			if got := len(linksFrom(rec, fx.Lineage, "terraform_data.monitor")); got != tc.monitorLinks {
				t.Errorf("monitor has %d links, want %d", got, tc.monitorLinks)
			}

			// sensitive("hunter2") in terraform_data.credentials: the input
			// is listed in sensitive_attributes, the output copy is not.
			all, _ := json.Marshal([]any{rec.items, rec.links})
			if bytes.Contains(all, []byte("hunter2")) {
				t.Error("the sensitive password reached the output")
			}
			cred := tfAttrs(items["terraform_data.credentials"])
			if user := cred["input"].(map[string]any)["value"].(map[string]any)["user"]; user != "admin" {
				t.Errorf("credentials lost its non-sensitive input: %v", cred)
			}
		})
	}
}

func TestStatesOfOneLineage(t *testing.T) {
	v1, _, err := parse(t, readFixture(t, "v1.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	v2, _, err := parse(t, readFixture(t, "v2.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.scopes[0] != v2.scopes[0] {
		t.Fatalf("scopes differ: %q %q", v1.scopes[0], v2.scopes[0])
	}
	i1, i2 := byAddress(v1), byAddress(v2)
	if _, ok := i2[`terraform_data.bucket["assets"]`]; ok {
		t.Error(`v2 still has bucket["assets"]`)
	}
	if _, ok := i1[`terraform_data.bucket["assets"]`]; !ok {
		t.Error(`v1 lacks bucket["assets"]`)
	}
	for _, a := range []string{"terraform_data.cache[0]", "terraform_data.cache[1]"} {
		if _, ok := i2[a]; !ok {
			t.Errorf("v2 lacks %s", a)
		}
	}
	// web[2] was tainted in v1 and replaced by the v2 apply.
	w1, w2 := i1["terraform_data.web[2]"], i2["terraform_data.web[2]"]
	if w1.Attributes["tf.status"] != "tainted" || w2.Attributes["tf.status"] != nil {
		t.Errorf("tf.status v1 %v, v2 %v", w1.Attributes["tf.status"], w2.Attributes["tf.status"])
	}
	if identifier(w1, KindAddress) != identifier(w2, KindAddress) || identifier(w1, KindCloudID) == identifier(w2, KindCloudID) {
		t.Errorf("replaced web[2]: same address expected, new cloud-id expected: %v / %v", w1.Identifiers, w2.Identifiers)
	}
	tainted := 0
	for _, it := range v1.items {
		if it.Attributes["tf.status"] != nil {
			tainted++
		}
	}
	if tainted != 1 {
		t.Errorf("%d tainted items in v1, want 1", tainted)
	}
	// Unchanged instances keep identical items across applies.
	if a, b := i1["module.a.terraform_data.svc[0]"], i2["module.a.terraform_data.svc[0]"]; !reflect.DeepEqual(a.Attributes, b.Attributes) || !reflect.DeepEqual(a.Identifiers, b.Identifiers) {
		t.Errorf("unchanged instance differs:\n%v\n%v", a, b)
	}
}

func TestHandWrittenAWS(t *testing.T) {
	data := readFixture(t, "aws-handwritten.tfstate")
	rec, st, err := parse(t, data)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, rec)
	const lineage = "6d1f3c2a-0000-4000-8000-handwritten0"
	want := Stats{Resources: 16, Instances: 18, Links: 14, DataResources: 1, Deposed: 1,
		DataDependencies: 2, UnresolvedDependencies: 1, Trimmed: 3, SharedCloudIDs: 1}
	if st != want {
		t.Errorf("stats = %+v\nwant    %+v", st, want)
	}
	items := byAddress(rec)
	const (
		vm, dbc, lb, vol, k8s, cr = graph.ClassVirtualMachine, graph.ClassDatabase, graph.ClassLoadBalancer,
			graph.ClassStorageVolume, graph.ClassKubernetesCluster, graph.ClassCloudResource
	)
	tests := []struct {
		address, class, name, cloudID, provider, module string
		tainted                                         bool
		owner, environment                              string
	}{
		{"aws_db_instance.main", dbc, "main-db", "arn:aws:rds:eu-west-1:123456789012:db:main-db", "registry.terraform.io/hashicorp/aws", "", false, "", "production"},
		{"aws_instance.web[0]", vm, "web-0", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0aaaaaaaaaaaaaaa0", "registry.terraform.io/hashicorp/aws", "", false, "team-web", "production"},
		{"aws_instance.web[1]", vm, "web-1", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0bbbbbbbbbbbbbbb1", "registry.terraform.io/hashicorp/aws", "", true, "", ""},
		{"aws_instance.worker[0]", vm, "k8s-worker-1", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc0000000000001", "registry.terraform.io/hashicorp/aws", "", false, "platform", "prod"},
		{"aws_instance.worker[1]", vm, "k8s-worker-2", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc0000000000002", "registry.terraform.io/hashicorp/aws", "", false, "platform", "prod"},
		{"aws_eks_cluster.main", k8s, "prod-eu", "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu", "registry.terraform.io/hashicorp/aws", "", false, "platform", "production"},
		{"aws_lb.front", lb, "front", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/front/0123456789abcdef", "registry.terraform.io/hashicorp/aws", "", false, "team-web", "production"},
		{"aws_ebs_volume.data", vol, "pgdata", "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0", "registry.terraform.io/hashicorp/aws", "", false, "payments", ""},
		{"aws_s3_bucket.logs", cr, "aws_s3_bucket.logs", "arn:aws:s3:::acme-logs", "registry.terraform.io/hashicorp/aws", "", false, "", ""},
		// Same id as the bucket: the type keeps the two apart.
		{"aws_s3_bucket_policy.logs", cr, "aws_s3_bucket_policy.logs", "aws_s3_bucket_policy:acme-logs", "registry.terraform.io/hashicorp/aws", "", false, "", ""},
		{"aws_security_group.web", cr, "web-sg", "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0", "registry.terraform.io/hashicorp/aws", "", false, "", ""},
		{"aws_sns_topic.alerts", cr, "alerts", "arn:aws:sns:eu-west-1:123456789012:alerts", "registry.terraform.io/hashicorp/aws", "", false, "", ""},
		// Reports its topic's ARN: left without a cloud-id.
		{"aws_sns_topic_policy.alerts", cr, "aws_sns_topic_policy.alerts", "", "registry.terraform.io/hashicorp/aws", "", false, "", ""},
		{"azurerm_resource_group.rg", cr, "rg-core", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-core", "registry.terraform.io/hashicorp/azurerm", "", false, "", ""},
		{"azurerm_linux_virtual_machine.jump", vm, "jump-1", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-core/providers/Microsoft.Compute/virtualMachines/jump-1", "registry.terraform.io/hashicorp/azurerm", "", false, "ops", "shared"},
		// Google labels, not tags.
		{"google_compute_instance.vm", vm, "vm-1", "https://www.googleapis.com/compute/v1/projects/acme/zones/europe-west1-b/instances/vm-1", "registry.terraform.io/hashicorp/google", "", false, "data-team", "staging"},
		{"random_password.db", cr, "random_password.db", "", "registry.terraform.io/hashicorp/random", "", false, "", ""},
		// Provider in a module, with an alias; name from tags.Name.
		{"module.network.aws_vpc.main", cr, "core-vpc", "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0", "registry.terraform.io/hashicorp/aws", "module.network", false, "", ""},
	}
	if len(items) != len(tests) {
		t.Errorf("%d items, want %d", len(items), len(tests))
	}
	for _, tc := range tests {
		it, ok := items[tc.address]
		if !ok {
			t.Errorf("no item %s", tc.address)
			continue
		}
		if it.Name != tc.name || identifier(it, KindCloudID) != tc.cloudID || identifier(it, KindAddress) != lineage+"/"+tc.address {
			t.Errorf("%s: name %q identifiers %v", tc.address, it.Name, it.Identifiers)
		}
		if it.Class != tc.class || it.Owner != tc.owner || it.Environment != tc.environment {
			t.Errorf("%s: class %s owner %q environment %q, want %s %q %q", tc.address, it.Class, it.Owner, it.Environment,
				tc.class, tc.owner, tc.environment)
		}
		if it.Attributes["tf.provider"] != tc.provider {
			t.Errorf("%s: tf.provider %v", tc.address, it.Attributes["tf.provider"])
		}
		if m, _ := it.Attributes["tf.module"].(string); m != tc.module {
			t.Errorf("%s: tf.module %q", tc.address, m)
		}
		if (it.Attributes["tf.status"] == "tainted") != tc.tainted {
			t.Errorf("%s: tf.status %v", tc.address, it.Attributes["tf.status"])
		}
	}
	// Virtual machines carry what other sources know the machine by: the
	// cloud instance a Kubernetes node's providerID names, and the
	// addresses and names nmap finds.
	for address, want := range map[string][]string{
		"aws_instance.worker[0]": {"cloud-instance=aws:i-0abc0000000000001", "ip=192.0.2.11",
			"hostname=ip-192-0-2-11.eu-west-1.compute.internal", "fqdn=ip-192-0-2-11.eu-west-1.compute.internal"},
		"aws_instance.web[0]": {"cloud-instance=aws:i-0aaaaaaaaaaaaaaa0", "ip=10.30.0.21",
			"hostname=ip-10-30-0-21.eu-west-1.compute.internal", "fqdn=ip-10-30-0-21.eu-west-1.compute.internal"},
		"aws_instance.web[1]":        {"cloud-instance=aws:i-0bbbbbbbbbbbbbbb1"},
		"google_compute_instance.vm": {"cloud-instance=gce:acme/europe-west1-b/vm-1", "ip=10.132.0.5", "ip=203.0.113.10"},
		"azurerm_linux_virtual_machine.jump": {
			"cloud-instance=azure:/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-core/providers/microsoft.compute/virtualmachines/jump-1",
			"ip=10.1.0.4", "ip=198.51.100.7", "hostname=jump-1"},
		"aws_db_instance.main": nil,
	} {
		var got []string
		for _, id := range items[address].Identifiers {
			if id.Kind != KindAddress && id.Kind != KindCloudID {
				got = append(got, id.Kind+"="+id.Value)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: host identifiers %q, want %q", address, got, want)
		}
	}

	// Nothing listed in sensitive_attributes survives, at any depth, and
	// neither do outputs.
	all, _ := json.Marshal([]any{rec.items, rec.links})
	for _, secret := range []string{"must-not-leak", "output-secret"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q reached the output", secret)
		}
	}
	db := tfAttrs(items["aws_db_instance.main"])
	if _, ok := db["password"]; ok {
		t.Error("password kept")
	}
	wantParams := []any{map[string]any{"name": "log_statement", "value": "all"}, map[string]any{"name": "app.secret"}}
	if !reflect.DeepEqual(db["parameters"], wantParams) {
		t.Errorf("parameters = %v", db["parameters"])
	}
	if !reflect.DeepEqual(db["tags"], map[string]any{"Name": "main-db", "Team": "payments", "environment": "production"}) {
		t.Errorf("tags = %v", db["tags"])
	}
	if db["allocated_storage"] != float64(50) || db["multi_az"] != true {
		t.Errorf("scalars lost: %v", db)
	}
	// A sensitive path through a set element cannot be located: the set goes.
	if _, ok := tfAttrs(items["aws_security_group.web"])["ingress"]; ok {
		t.Error("ingress kept")
	}
	// Large single values go, small ones stay.
	if _, ok := tfAttrs(items["aws_instance.web[0]"])["user_data"]; ok {
		t.Error("large user_data kept")
	}
	if tfAttrs(items["aws_instance.web[1]"])["user_data"] != "#!/bin/bash\necho short\n" {
		t.Error("small user_data dropped")
	}
	if _, ok := tfAttrs(items["aws_s3_bucket.logs"])["policy"]; ok {
		t.Error("large policy kept")
	}

	if got, want := linksFrom(rec, lineage, "aws_instance.web[0]"), []string{"aws_security_group.web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("web[0] links %q, want %q (data source and missing profile skipped)", got, want)
	}
	if got, want := linksFrom(rec, lineage, "aws_db_instance.main"), []string{"aws_security_group.web", "module.network.aws_vpc.main"}; !reflect.DeepEqual(got, want) {
		t.Errorf("db links %q, want %q", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range []string{"v1.tfstate", "v2.tfstate", "aws-handwritten.tfstate"} {
		data := readFixture(t, f)
		a, sa, err := parse(t, data)
		if err != nil {
			t.Fatal(err)
		}
		b, sb, err := parse(t, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) || sa != sb {
			t.Errorf("%s: two parses differ", f)
		}
	}
}

// at returns "line L, column C" of the first occurrence of marker in s,
// shifted by delta bytes.
func at(s, marker string, delta int) string {
	i := strings.Index(s, marker)
	if i < 0 {
		panic("marker not found: " + marker)
	}
	i += delta
	line := strings.Count(s[:i], "\n") + 1
	col := i - strings.LastIndex(s[:i], "\n")
	return fmt.Sprintf("line %d, column %d", line, col)
}

func TestMalformed(t *testing.T) {
	const head = "{\n  \"version\": 4,\n  \"lineage\": \"l-1\",\n  \"resources\": [\n"
	res := func(body string) string { return head + body + "\n  ]\n}\n" }
	ok := `    {"mode": "managed", "type": "t", "name": "a", "instances": [{"attributes": {"id": "1"}}]}`
	truncated := string(readFixture(t, "truncated.tfstate"))
	end := func(s string) string { return at(s+"\x00", "\x00", 0) }

	tests := []struct {
		name, in, at, field, msg string
	}{
		{"empty", "", "line 1, column 1", "", "empty"},
		{"not an object", "\n  [1]", "line 2, column 3", "", "must be a JSON object"},
		{"version 3", "{\n  \"version\": 3,\n  \"lineage\": \"x\"}", "line 2, column 14", "version", "unsupported state format version 3"},
		{"version string", `{"version": "4"}`, "line 1, column 13", "version", "must be a number"},
		{"missing version", `{"lineage": "x", "resources": []}`, "line 1, column 34", "version", "missing"},
		{"missing lineage", `{"version": 4, "resources": []}`, "line 1, column 32", "lineage", "missing"},
		{"lineage with space", `{"version": 4, "lineage": "a b"}`, "line 1, column 27", "lineage", "spaces"},
		{"truncated fixture", truncated, end(truncated), "resources[", "truncated"},
		{"truncated after resources", `{"version":4,"lineage":"x","resources":[]`, "line 1, column 42", "", "truncated"},
		{"truncated in key", `{"version":4,"lin`, "line 1, column 18", "", "truncated"},
		{"missing comma", "{\"version\": 4\n \"lineage\": \"x\"}", "line 2, column 2", "", "invalid JSON"},
		{"bad escape in key", "{\n\"vers\\qion\": 4}", "line 2, column 7", "", "invalid JSON"},
		{"trailing garbage", `{"version":4,"lineage":"x","resources":[]} x`, "line 1, column 44", "", "invalid JSON"},
		{"second object", `{"version":4,"lineage":"x","resources":[]} {}`, "line 1, column 44", "", "unexpected data"},
		{"resources object", "{\"version\":4,\"lineage\":\"x\",\n\"resources\": {}}", "line 2, column 14", "resources", "must be an array"},
		{"bad literal in resource", res(ok + ",\n    {\"mode\": \"managed\", \"type\": \"t\", \"name\": \"b\",\n     \"instances\": [{\"attributes\": {\"x\": tru }}]}"),
			"", "resources[1]", "invalid character ' ' in literal true"},
		{"resource not an object", res(ok + ",\n    \"web\""), "", "resources[1]", "must be an object"},
		{"instances not an array", res("    {\"mode\": \"managed\", \"type\": \"t\", \"name\": \"a\",\n      \"instances\": {}}"), "", "resources[0].instances", "must be an array"},
		{"index_key bool", res(ok + ",\n    {\"type\": \"t\", \"name\": \"b\", \"instances\": [\n      {\"index_key\": 0},\n      {\"index_key\": true}]}"), "", "resources[1].instances[1].index_key", "must be a number (count) or a string (for_each)"},
		{"index_key fraction", res("    {\"type\": \"t\", \"name\": \"b\", \"instances\": [{\"index_key\": 1.5}]}"), "", "resources[0].instances[0].index_key", "not an integer"},
		{"missing type", res(ok + ",\n    {\"mode\": \"managed\", \"name\": \"b\", \"instances\": []}"), "", "resources[1].type", "missing"},
		{"missing name", res("    {\"mode\": \"managed\", \"type\": \"t\"}"), "", "resources[0].name", "missing"},
		{"type not a string", res("    {\"mode\": \"managed\", \"type\": 7, \"name\": \"b\"}"), "", "resources[0].type", "must be a string"},
		{"bad type", res("    {\"type\": \"a.b\", \"name\": \"n\"}"), "", "resources[0].type", "not a resource type"},
		{"unknown mode", res("    {\"mode\": \"ephemeral\", \"type\": \"t\", \"name\": \"b\"}"), "", "resources[0].mode", "unknown mode"},
		{"dependency not a string", res("    {\"type\": \"t\", \"name\": \"b\", \"instances\": [{\"dependencies\": [\"t.a\",\n 42]}]}"), "line 6, column 2", "resources[0].instances[0].dependencies[1]", "must be a resource address"},
		{"sensitive not an array", res("    {\"type\": \"t\", \"name\": \"b\", \"instances\": [{\"sensitive_attributes\": \"password\"}]}"), "", "resources[0].instances[0].sensitive_attributes", "must be an array"},
		{"sensitive path not an array", res("    {\"type\": \"t\", \"name\": \"b\", \"instances\": [{\"attributes\": {}, \"sensitive_attributes\": [{\"type\": \"get_attr\"}]}]}"), "", "resources[0].instances[0].sensitive_attributes[0]", "must be an attribute path"},
		{"attributes not an object", res("    {\"type\": \"t\", \"name\": \"b\", \"instances\": [{\"attributes\": []}]}"), "", "resources[0].instances[0].attributes", "must be an object"},
		{"duplicate instance", res(ok + ",\n" + ok), "", "resources[1].instances[0]", "appears twice"},
	}
	// Where the error must point, for the cases above that did not say.
	wantAt := map[string]string{}
	for _, tc := range tests {
		switch tc.name {
		case "bad literal in resource":
			wantAt[tc.name] = at(tc.in, "tru }", 3)
		case "resource not an object":
			wantAt[tc.name] = at(tc.in, `"web"`, 0)
		case "instances not an array":
			wantAt[tc.name] = at(tc.in, "{}}", 0)
		case "index_key bool":
			wantAt[tc.name] = at(tc.in, "true", 0)
		case "index_key fraction":
			wantAt[tc.name] = at(tc.in, "1.5", 0)
		case "missing type":
			wantAt[tc.name] = at(tc.in, `{"mode": "managed", "name": "b"`, 0)
		case "type not a string":
			wantAt[tc.name] = at(tc.in, "7,", 0)
		case "missing name", "bad type", "unknown mode":
			wantAt[tc.name] = at(tc.in, "    {", 4)
		case "sensitive not an array":
			wantAt[tc.name] = at(tc.in, `"password"`, 0)
		case "sensitive path not an array":
			wantAt[tc.name] = at(tc.in, `{"type": "get_attr"}`, 0)
		case "attributes not an object":
			wantAt[tc.name] = at(tc.in, "[]}", 0)
		case "duplicate instance":
			i := strings.LastIndex(tc.in, `{"attributes"`)
			wantAt[tc.name] = at(tc.in[:i]+"\x00", "\x00", 0)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := parse(t, []byte(tc.in))
			var ie *feed.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want *feed.InputError", err, err)
			}
			want := tc.at
			if want == "" {
				want = wantAt[tc.name]
			}
			if ie.At != want {
				t.Errorf("At = %q, want %q (%v)", ie.At, want, err)
			}
			if !strings.HasPrefix(ie.Field, tc.field) || (tc.field == "" && ie.Field != "") {
				t.Errorf("Field = %q, want %q (%v)", ie.Field, tc.field, err)
			}
			if !strings.Contains(ie.Message, tc.msg) {
				t.Errorf("Message = %q, want it to contain %q", ie.Message, tc.msg)
			}
			if ie.File != "test.tfstate" {
				t.Errorf("File = %q", ie.File)
			}
			if len(rec.links) != 0 {
				t.Errorf("a failed parse emitted links")
			}
		})
	}
}
