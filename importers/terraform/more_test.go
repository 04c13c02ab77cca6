package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// state builds a small state document from resources given as Go values.
func stateJSON(t testing.TB, top map[string]any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeysOutOfOrder(t *testing.T) {
	// Terraform writes version and lineage first, but JSON objects have no
	// order: items wait until both are known, Scope comes first.
	in := `{
  "resources": [
    {"mode": "managed", "type": "t", "name": "a", "instances": [{"attributes": {"id": "1"}, "dependencies": ["t.b"]}]},
    {"mode": "managed", "type": "t", "name": "b", "instances": [{"attributes": {"id": "2"}}]}
  ],
  "lineage": "late",
  "version": 4
}`
	rec, _, err := parse(t, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"scope", "item", "item", "link"}; !reflect.DeepEqual(rec.events, want) {
		t.Errorf("events %v, want %v", rec.events, want)
	}
	if rec.scopes[0] != "tf:late" || identifier(rec.items[0], KindAddress) != "late/t.a" || rec.links[0].To.Value != "late/t.b" {
		t.Errorf("scope %v items %v links %v", rec.scopes, rec.items, rec.links)
	}
	checkValid(t, rec)

	// A wrong version read last still rejects the file before any item.
	bad := strings.Replace(in, `"version": 4`, `"version": 5`, 1)
	rec, _, err = parse(t, []byte(bad))
	var ie *feed.InputError
	if !errors.As(err, &ie) || ie.Field != "version" || len(rec.items) != 0 {
		t.Errorf("err %v, %d items", err, len(rec.items))
	}
}

func TestAttributeLimits(t *testing.T) {
	attrs := map[string]any{
		"id":   "i-1",
		"name": "limits",
		"":     "empty key",
		"big":  strings.Repeat("x", maxValueBytes+1),
		"list": []any{"keep", strings.Repeat("y", maxValueBytes+1), "keep too"},
	}
	// Nesting: the CI allows 8 levels, tf.attributes' values start at 3.
	var deep any = "leaf"
	for i := 0; i < 10; i++ {
		deep = map[string]any{fmt.Sprintf("l%d", 9-i): deep}
	}
	attrs["deep"] = deep
	// A scalar at level 8 is allowed: kept whole.
	fits := map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": "leaf"}}}}}
	attrs["fits"] = fits
	one := stateJSON(t, map[string]any{"version": 4, "lineage": "lim", "resources": []any{
		map[string]any{"mode": "managed", "type": "t", "name": "small", "instances": []any{map[string]any{"attributes": attrs}}},
	}})
	rec, st, err := parse(t, one)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, rec)
	got := tfAttrs(rec.items[0])
	if _, ok := got["big"]; ok {
		t.Error("big kept")
	}
	if _, ok := got[""]; ok {
		t.Error("empty key kept")
	}
	if !reflect.DeepEqual(got["list"], []any{"keep", "keep too"}) {
		t.Errorf("list = %v", got["list"])
	}
	if !reflect.DeepEqual(got["fits"], fits) {
		t.Errorf("fits = %v", got["fits"])
	}
	// deep is at level 3, l0's value at 4 ... l4's value at 8 is a
	// non-empty map, so it goes and l3's value (level 7) is left empty.
	d := got["deep"].(map[string]any)
	depth := 3
	for {
		next, ok := d[fmt.Sprintf("l%d", depth-3)]
		if !ok {
			break
		}
		d = next.(map[string]any)
		depth++
	}
	if depth != 7 || len(d) != 0 {
		t.Errorf("deep cut at level %d (%v), want an empty map at level 7", depth, d)
	}
	if st.Trimmed != 1 {
		t.Errorf("Trimmed = %d", st.Trimmed)
	}

	// Too big as a whole: only top-level scalars, within 32 KiB, the same
	// ones every time.
	huge := map[string]any{"id": "i-2", "nested": map[string]any{"a": "b"}, "list": []any{1.0}}
	for i := 0; i < 40; i++ {
		huge[fmt.Sprintf("k%02d", i)] = strings.Repeat("z", 1500)
	}
	two := stateJSON(t, map[string]any{"version": 4, "lineage": "lim", "resources": []any{
		map[string]any{"mode": "managed", "type": "t", "name": "huge", "instances": []any{map[string]any{"attributes": huge}}},
	}})
	rec, st, err = parse(t, two)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, rec)
	got = tfAttrs(rec.items[0])
	if n := size(got); n > maxCopyBytes {
		t.Errorf("copy is %d bytes", n)
	}
	for k, v := range got {
		switch v.(type) {
		case map[string]any, []any:
			t.Errorf("%s: container kept in the fallback", k)
		}
	}
	if got["id"] != "i-2" || got["k00"] == nil || got["k39"] != nil || st.Trimmed != 1 {
		t.Errorf("fallback kept %d keys; id %v k00 %v k39 %v", len(got), got["id"], got["k00"] != nil, got["k39"] != nil)
	}
	again, _, _ := parse(t, two)
	if !reflect.DeepEqual(rec, again) {
		t.Error("fallback is not deterministic")
	}
}

func TestLongAddress(t *testing.T) {
	key := strings.Repeat("k", 600)
	in := stateJSON(t, map[string]any{"version": 4, "lineage": "long", "resources": []any{
		map[string]any{"type": "t", "name": "a", "instances": []any{map[string]any{"index_key": key, "attributes": map[string]any{"id": "1"}}}},
		map[string]any{"type": "t", "name": "b", "instances": []any{map[string]any{"dependencies": []any{"t.a"}}}},
	}})
	rec, _, err := parse(t, in)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, rec)
	id := identifier(rec.items[0], KindAddress)
	if !strings.HasPrefix(id, "long/sha256:") || len(id) > 512 {
		t.Errorf("tf-address %q", id)
	}
	if rec.items[0].Attributes["tf.address"] != `t.a["`+key+`"]` || len([]rune(rec.items[0].Name)) != 256 {
		t.Errorf("tf.address %v, name %q", rec.items[0].Attributes["tf.address"], rec.items[0].Name)
	}
	if len(rec.links) != 1 || rec.links[0].To.Value != id {
		t.Errorf("links %v", rec.links)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, attrs, paths, want string
	}{
		{"top-level", `{"a":1,"password":"p"}`, `[[{"type":"get_attr","value":"password"}]]`, `{"a":1}`},
		{"map key", `{"tags":{"Name":"n","S":"s"}}`, `[[{"type":"get_attr","value":"tags"},{"type":"index","value":{"value":"S","type":"string"}}]]`, `{"tags":{"Name":"n"}}`},
		{"two list elements", `{"l":["a","b","c"]}`,
			`[[{"type":"get_attr","value":"l"},{"type":"index","value":{"value":0,"type":"number"}}],[{"type":"get_attr","value":"l"},{"type":"index","value":{"value":1,"type":"number"}}]]`,
			`{"l":["c"]}`},
		{"dynamic wrapper", `{"input":{"value":{"u":"x","p":"y"},"type":["object",{"p":"string","u":"string"}]}}`,
			`[[{"type":"get_attr","value":"input"},{"type":"get_attr","value":"p"}]]`,
			`{"input":{"value":{"u":"x"},"type":["object",{"p":"string","u":"string"}]}}`},
		{"whole dynamic value", `{"input":{"value":"s","type":"string"},"id":"1"}`, `[[{"type":"get_attr","value":"input"}]]`, `{"id":"1"}`},
		{"set element", `{"s":[{"d":"x"}],"id":"1"}`,
			`[[{"type":"get_attr","value":"s"},{"type":"index","value":{"value":{"d":"x"},"type":["object",{"d":"string"}]}},{"type":"get_attr","value":"d"}]]`,
			`{"id":"1"}`},
		{"unknown step kind", `{"a":{"b":"x"},"id":"1"}`, `[[{"type":"get_attr","value":"a"},{"type":"slice","value":1}]]`, `{"id":"1"}`},
		{"path deeper than data", `{"a":"scalar","id":"1"}`, `[[{"type":"get_attr","value":"a"},{"type":"get_attr","value":"b"}]]`, `{"id":"1"}`},
		{"null parent", `{"a":null,"id":"1"}`, `[[{"type":"get_attr","value":"a"},{"type":"get_attr","value":"b"}]]`, `{"a":null,"id":"1"}`},
		{"absent attribute", `{"id":"1"}`, `[[{"type":"get_attr","value":"gone"}]]`, `{"id":"1"}`},
		{"empty path", `{"id":"1","name":"n"}`, `[[]]`, `null`},
		{"first step not an attribute", `{"id":"1"}`, `[[{"type":"index","value":{"value":0,"type":"number"}}]]`, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fmt.Sprintf(`{"version":4,"lineage":"r","resources":[{"type":"t","name":"n","instances":[{"attributes":%s,"sensitive_attributes":%s}]}]}`, tc.attrs, tc.paths)
			rec, _, err := parse(t, []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			json.Unmarshal([]byte(tc.want), &want)
			if got := tfAttrs(rec.items[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("tf.attributes = %v, want %v", got, want)
			}
			if want == nil && (rec.items[0].Name != "t.n" || identifier(rec.items[0], KindCloudID) != "") {
				t.Errorf("fully sensitive instance still named %q, cloud-id %q", rec.items[0].Name, identifier(rec.items[0], KindCloudID))
			}
		})
	}
}

func TestCloudIDAndName(t *testing.T) {
	tests := []struct {
		typ, attrs, cloudID, name string
	}{
		{"aws_vpc", `{"arn":"arn:aws:ec2:r:1:vpc/v","id":"v","tags":{"Name":"tagged"}}`, "arn:aws:ec2:r:1:vpc/v", "tagged"},
		{"aws_iam_role", `{"arn":"arn:aws:iam::1:role/r","id":"r","name":"r","tags":{"Name":"tag"}}`, "arn:aws:iam::1:role/r", "r"},
		{"google_x", `{"self_link":"https://g/x","id":"projects/p/x"}`, "https://g/x", "t.n"},
		{"azurerm_x", `{"id":"/SUBSCRIPTIONS/1/resourceGroups/x","name":"x"}`, "/SUBSCRIPTIONS/1/resourceGroups/x", "x"},
		{"aws_s3_bucket_policy", `{"id":"b"}`, "aws_s3_bucket_policy:b", "t.n"},
		{"x", `{"id":""}`, "", "t.n"},
		{"x", `{"id":5}`, "", "t.n"},
		{"x", `{"arn":"  ","id":"i"}`, "", "t.n"},
		{"aws_instance", `{"arn":"  ","id":"i-1"}`, "aws_instance:i-1", "t.n"},
		{"random_password", `{"id":"none"}`, "", "t.n"},
		{"x", `{"id":"` + strings.Repeat("i", 600) + `"}`, "", "t.n"},
		{"x", `{"name":"bad\u0001name","tags":{"Name":"ok"}}`, "", "ok"},
		{"x", `{"name":""}`, "", "t.n"},
	}
	for _, tc := range tests {
		in := fmt.Sprintf(`{"version":4,"lineage":"c","resources":[{"type":%q,"name":"n","instances":[{"attributes":%s}]}]}`, tc.typ, tc.attrs)
		in = strings.Replace(in, `"name":"n","instances"`, `"name":"n","instances"`, 1)
		rec, _, err := parse(t, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		it := rec.items[0]
		wantName := tc.name
		if wantName == "t.n" {
			wantName = tc.typ + ".n"
		}
		if identifier(it, KindCloudID) != tc.cloudID || it.Name != wantName {
			t.Errorf("%s %s: cloud-id %q name %q; want %q %q", tc.typ, tc.attrs, identifier(it, KindCloudID), it.Name, tc.cloudID, wantName)
		}
	}
}

func TestAddressHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"logs":          `"logs"`,
		`a"b`:           `"a\"b"`,
		`back\slash`:    `"back\\slash"`,
		"tmpl-${x}":     `"tmpl-$${x}"`,
		"pct%{y}":       `"pct%%{y}"`,
		"$x %y {z}":     `"$x %y {z}"`,
		"nl\nx\ttab":    `"nl\nx\ttab"`,
		"cr\r":          `"cr\r"`,
		"bell\a":        `"bell\u0007"`,
		"tag\U000E0001": `"tag\U000e0001"`,
		"ünï/cøde":      `"ünï/cøde"`,
		"":              `""`,
	} {
		if got := quoteKey(in); got != want {
			t.Errorf("quoteKey(%q) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		`module.a`:                      "module.a",
		`module.edge["eu"].module.x[0]`: "module.edge.module.x",
		`module.k["a].b\"c[d"]`:         "module.k",
	} {
		if got := stripKeys(in); got != want {
			t.Errorf("stripKeys(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{
		"data.aws_ami.x": true, "module.a.data.aws_ami.x": true, `module.a["data"].data.x.y`: true,
		"aws_instance.data": false, "module.data.aws_vpc.v": false, "module.a.module.b.t.n": false,
	} {
		if got := isDataAddress(in); got != want {
			t.Errorf("isDataAddress(%q) = %v", in, got)
		}
	}
	for in, want := range map[string]string{
		`provider["registry.terraform.io/hashicorp/aws"]`:             "registry.terraform.io/hashicorp/aws",
		`provider["registry.terraform.io/hashicorp/aws"].west`:        "registry.terraform.io/hashicorp/aws",
		`module.a.provider["registry.terraform.io/hashicorp/google"]`: "registry.terraform.io/hashicorp/google",
		`provider.aws`:           "provider.aws",
		`provider["unterminated`: `provider["unterminated`,
	} {
		if got := providerSource(in); got != want {
			t.Errorf("providerSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndexKeyNumberForms(t *testing.T) {
	in := `{"version":4,"lineage":"n","resources":[{"type":"t","name":"n","instances":[{"index_key":0},{"index_key":1e1},{"index_key":2.0},{"index_key":null}]}]}`
	rec, _, err := parse(t, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range rec.items {
		got = append(got, it.Attributes["tf.address"].(string))
	}
	if want := []string{"t.n[0]", "t.n[10]", "t.n[2]", "t.n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("addresses %q, want %q", got, want)
	}
}

// failing fails Item or Link after a number of calls.
type failing struct {
	recorder
	after int
}

var errEmit = errors.New("store unavailable")

func (f *failing) Item(it feed.Item) error {
	if len(f.items) == f.after {
		return errEmit
	}
	return f.recorder.Item(it)
}

func TestEmitterErrorStops(t *testing.T) {
	f := &failing{after: 2}
	err := New().Parse(context.Background(), "v1", strings.NewReader(string(readFixture(t, "v1.tfstate"))), f)
	if !errors.Is(err, errEmit) || len(f.items) != 2 {
		t.Errorf("err %v after %d items", err, len(f.items))
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New().Parse(ctx, "v1", strings.NewReader(string(readFixture(t, "v1.tfstate"))), &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// oneByte hands the decoder one byte per Read, so every buffer boundary
// case of the position arithmetic is exercised.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestSmallReads(t *testing.T) {
	for _, f := range []string{"v1.tfstate", "aws-handwritten.tfstate", "truncated.tfstate"} {
		data := readFixture(t, f)
		want, _, werr := parse(t, data)
		got := &recorder{}
		gerr := New().Parse(context.Background(), "test.tfstate", oneByte{strings.NewReader(string(data))}, got)
		if !reflect.DeepEqual(want, got) || fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Errorf("%s: one-byte reads give a different result: %v / %v", f, werr, gerr)
		}
	}
	bad := "{\"version\": 4,\n \"lineage\": \"x\",\n \"resources\": [{\"type\": \"t\", \"name\": \"n\", \"instances\": [{\"attributes\": {\"x\": nul }}]}]}"
	err := New().Parse(context.Background(), "f", oneByte{strings.NewReader(bad)}, &recorder{})
	var ie *feed.InputError
	if !errors.As(err, &ie) || ie.At != at(bad, "nul }", 3) {
		t.Errorf("one-byte reads: %v, want at %s", err, at(bad, "nul }", 3))
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"v1.tfstate", "v2.tfstate", "aws-handwritten.tfstate", "truncated.tfstate"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"version":4,"lineage":"l","resources":[{"module":"module.m[\"k\"]","type":"t","name":"n","instances":[{"index_key":"a\"b","attributes":{"id":"x","arn":"arn:1"},"dependencies":["module.m.t.n","data.d.e"],"sensitive_attributes":[[{"type":"get_attr","value":"arn"}]]}]}]}`))
	f.Add([]byte(`{"resources":[{"type":"t","name":"n","instances":[{}]}],"lineage":"l","version":4}`))
	f.Add([]byte(`{"version":4,"lineage":"l","resources":[{"type":"t","name":"n","instances":[{"index_key":1},{"index_key":1}]}]}`))
	f.Add([]byte(`{"version": 4 "lineage": 1}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, _, err := parse(t, data)
		if err != nil {
			var ie *feed.InputError
			if !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v (%T) is not an *feed.InputError", err, err)
			}
			return
		}
		checkValid(t, rec)
		if len(rec.scopes) != 1 || !strings.HasPrefix(rec.scopes[0], ScopePrefix) {
			t.Fatalf("scopes %q", rec.scopes)
		}
	})
}

// TestClassesAllowedByCatalogue: every class the type table gives, and
// CloudResource, may DEPENDS_ON every other (Terraform's dependencies run
// between any two resources), so a catalogue change that forbids one fails
// here rather than in an import.
func TestClassesAllowedByCatalogue(t *testing.T) {
	cat := graph.DefaultCatalogue()
	set := map[string]bool{graph.ClassCloudResource: true}
	for typ, class := range classes {
		if err := cat.CheckClass("class", class); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
		if classOf(typ) != class {
			t.Errorf("classOf(%s) = %s, want %s", typ, classOf(typ), class)
		}
		set[class] = true
	}
	if len(set) != 6 {
		t.Fatalf("classes %v, want CloudResource and five specific ones", set)
	}
	for from := range set {
		for to := range set {
			if err := cat.CheckRelation(graph.RelDependsOn, from, to); err != nil {
				t.Errorf("%s DEPENDS_ON %s: %v", from, to, err)
			}
		}
	}
	if classOf("aws_s3_bucket") != graph.ClassCloudResource || classOf("terraform_data") != graph.ClassCloudResource {
		t.Error("unmapped types must stay CloudResource")
	}
	for _, typ := range []string{"aws_rds_cluster", "google_sql_database_instance", "azurerm_postgresql_flexible_server", "azurerm_mssql_server"} {
		if classOf(typ) != graph.ClassDatabase {
			t.Errorf("%s is a %s", typ, classOf(typ))
		}
	}
}

func TestOwnerAndEnvironmentTags(t *testing.T) {
	long := strings.Repeat("x", graph.MaxShortFieldLen+1)
	for _, tc := range []struct {
		name       string
		attrs      map[string]any
		owner, env string
	}{
		{"aws tags", map[string]any{"tags": map[string]any{"Owner": "web", "Environment": "prod"}}, "web", "prod"},
		{"lower case, env", map[string]any{"tags": map[string]any{"owner": "web", "env": "dev"}}, "web", "dev"},
		{"environment beats env", map[string]any{"tags": map[string]any{"env": "dev", "environment": "prod"}}, "", "prod"},
		{"gcp labels", map[string]any{"labels": map[string]any{"owner": "data", "env": "staging"}}, "data", "staging"},
		{"tags before labels", map[string]any{"tags": map[string]any{"owner": "a"}, "labels": map[string]any{"owner": "b", "env": "x"}}, "a", "x"},
		{"unusable values skipped", map[string]any{"tags": map[string]any{"Owner": long, "owner": "ok", "env": "a\nb"}}, "ok", ""},
		{"not a string", map[string]any{"tags": map[string]any{"owner": json.Number("3")}}, "", ""},
		{"no tags", map[string]any{"tags": nil}, "", ""},
	} {
		owner, env := ownerAndEnvironment(tc.attrs)
		if owner != tc.owner || env != tc.env {
			t.Errorf("%s: owner %q env %q, want %q %q", tc.name, owner, env, tc.owner, tc.env)
		}
	}
}
