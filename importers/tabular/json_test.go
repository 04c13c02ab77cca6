package tabular

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

func TestJSONArrayExport(t *testing.T) {
	rec, err := parseFile(t, NewJSON(loadMapping(t, "applications.mapping.json")), "applications.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.scopes, []string{"asset-register"}) {
		t.Errorf("scopes %q", rec.scopes)
	}
	if len(rec.items) != 4 {
		t.Fatalf("%d items, want 4", len(rec.items))
	}
	shop := rec.items[0]
	want := feed.Item{
		Class: "Application", Name: "Web shop",
		Identifiers: []graph.Identifier{{Kind: "asset-tag", Value: "AST-02001"}},
		Attributes: map[string]any{
			"app.tags":         []any{"customer-facing", "pci"}, // a JSON array as a list
			"app.replicas":     1.0,                             // a JSON number keeps its value, as float64
			"app.availability": 99.95,
			"app.pci":          true,
			"app.sla":          map[string]any{"pci": true, "availability": 99.95},
			"app.notes":        "Owner: Jane Doe, jane.doe@example.com",
		},
		Environment: "production", Owner: "E-commerce",
		At: "line 2, column 5",
	}
	if !reflect.DeepEqual(shop, want) {
		t.Errorf("first record:\n got %+v\nwant %+v", shop, want)
	}
	if orders := rec.item(t, "AST-02002"); orders.Attributes["app.replicas"] != 3.0 {
		t.Errorf("replicas %v, want 3", orders.Attributes["app.replicas"])
	}
	if _, ok := rec.item(t, "AST-02002").Attributes["app.notes"]; ok {
		t.Error("null notes kept")
	}
	if db := rec.item(t, "AST-02010"); db.Class != "Database" {
		t.Errorf("class %q", db.Class)
	}
	want2 := []string{
		"asset-tag=AST-02001 -DEPENDS_ON-> asset-tag=AST-02010 @line 2, column 5",
		"asset-tag=AST-02001 -DEPENDS_ON-> asset-tag=AST-01030 @line 2, column 5",
		"asset-tag=AST-02001 -RUNS_ON-> fqdn=web-01.corp.example.com @line 2, column 5",
	}
	if got := rec.linkLines(); !reflect.DeepEqual(got[:3], want2) {
		t.Errorf("links:\n%s", strings.Join(got, "\n"))
	}
	if n := len(rec.links); n != 7 {
		t.Errorf("%d links, want 7:\n%s", n, strings.Join(rec.linkLines(), "\n"))
	}
}

func TestJSONLinesExport(t *testing.T) {
	rec, err := parseFile(t, NewJSON(loadMapping(t, "servers.mapping.json")), "servers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.items) != 3 {
		t.Fatalf("%d items, want 3", len(rec.items))
	}
	want := feed.Item{
		Class: "Server", Name: "esx-zrh-01",
		Identifiers: []graph.Identifier{
			{Kind: "fqdn", Value: "esx-zrh-01.corp.example.com"},
			{Kind: "asset-tag", Value: "AST-01001"},
			{Kind: "serial", Value: "CZJ8140A1X"}, // from the nested hardware.serial
		},
		Attributes: map[string]any{
			"hw.cpuCores":   64.0,
			"hw.memoryGb":   512.0,
			"hw.inWarranty": true,
			"os.family":     "esxi", // a key with a dot in it, matched whole
		},
		Environment: "production", Owner: "Platform",
		At: "line 1, column 1",
	}
	if !reflect.DeepEqual(rec.items[0], want) {
		t.Errorf("first line:\n got %+v\nwant %+v", rec.items[0], want)
	}
	if at := rec.items[2].At; at != "line 3, column 1" {
		t.Errorf("third record at %q", at)
	}
	wantLinks := []string{
		"fqdn=esx-zrh-01.corp.example.com -MEMBER_OF-> asset-tag=AST-01000 @line 1, column 1",
		"fqdn=esx-zrh-02.corp.example.com -MEMBER_OF-> asset-tag=AST-01000 @line 2, column 1",
	}
	if got := rec.linkLines(); !reflect.DeepEqual(got, wantLinks) {
		t.Errorf("links (a null cluster names nothing):\n%s", strings.Join(got, "\n"))
	}
}

func TestJSONRecords(t *testing.T) {
	tests := []struct {
		name, input string
		items       []feed.Item
		links       []string
	}{
		{
			name:  "JSON Lines after blank lines, numbers as text keep their digits",
			input: "\n\n  {\"name\": \"a\", \"sn\": 1000042, \"host\": \"A.example.com\", \"cpu\": \"4\", \"ok\": 0, \"tags\": [\"x\", 7, \"\"], \"extra\": {\"n\": 1}, \"deps\": [\"b.example.com\", \"c.example.com\"], \"rack\": 12}\n",
			items: []feed.Item{{
				Class: "Server", Name: "a",
				Identifiers: []graph.Identifier{{Kind: "serial", Value: "1000042"}, {Kind: "fqdn", Value: "a.example.com"}},
				Attributes:  map[string]any{"cpu": 4.0, "ok": false, "tags": []any{"x", "7"}, "extra": map[string]any{"n": 1.0}},
				At:          "line 3, column 3",
			}},
			links: []string{
				"serial=1000042 -DEPENDS_ON-> fqdn=b.example.com @line 3, column 3",
				"serial=1000042 -DEPENDS_ON-> fqdn=c.example.com @line 3, column 3",
				"rack=12 -CONTAINS-> serial=1000042 @line 3, column 3",
			},
		},
		{
			name:  "array, string value for a JSON attribute is parsed, separator splits a string",
			input: "[{\"type\": \"vm\", \"name\": \"b\", \"host\": \"b.example.com\", \"extra\": \"[1,2]\", \"note\": 5, \"deps\": \"x.example.com,y.example.com\"},\n {\"name\": \"c\", \"sn\": \"S3\", \"note\": {\"k\": [1]}, \"tags\": []}]",
			items: []feed.Item{{
				Class: "VirtualMachine", Name: "b",
				Identifiers: []graph.Identifier{{Kind: "fqdn", Value: "b.example.com"}},
				Attributes:  map[string]any{"extra": []any{1.0, 2.0}, "note": 5.0},
				At:          "line 1, column 2",
			}, {
				Class: "Server", Name: "c",
				Identifiers: []graph.Identifier{{Kind: "serial", Value: "S3"}},
				Attributes:  map[string]any{"note": map[string]any{"k": []any{1.0}}},
				At:          "line 2, column 2",
			}},
			links: []string{
				"fqdn=b.example.com -DEPENDS_ON-> fqdn=x.example.com @line 1, column 2",
				"fqdn=b.example.com -DEPENDS_ON-> fqdn=y.example.com @line 1, column 2",
			},
		},
		{name: "empty array", input: " [ ] "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := parseString(NewJSON(small()), tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec.items, tc.items) {
				t.Errorf("items:\n got %+v\nwant %+v", rec.items, tc.items)
			}
			if got := rec.linkLines(); !reflect.DeepEqual(got, tc.links) && len(got)+len(tc.links) > 0 {
				t.Errorf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.links, "\n"))
			}
		})
	}
}

func TestJSONPaths(t *testing.T) {
	obj := map[string]any{
		"a":     map[string]any{"b": "nested", "c.d": "dotted inside"},
		"a.b":   "flat",
		"x":     map[string]any{"y": nil},
		"list":  []any{map[string]any{"ip": "10.0.0.1"}, "second"},
		"s":     "not an object",
		"x.y.z": "deep flat",
	}
	for path, want := range map[string]any{
		"a.b": "flat", "a.c.d": "dotted inside", "list.0.ip": "10.0.0.1", "list.1": "second",
		"list.2": nil, "list.-1": nil, "list.01": nil, "s.t": nil, "x.y": nil, "missing": nil, "x.y.z": "deep flat",
	} {
		if got := lookup(obj, path); got != want {
			t.Errorf("lookup(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestJSONErrors(t *testing.T) {
	apps := loadMapping(t, "applications.mapping.json")
	servers := loadMapping(t, "servers.mapping.json")
	tests := []struct {
		name    string
		mapping Mapping
		file    string // under testdata, or inline input when it starts with "<"
		at      string
		field   string
		msgs    []string
	}{
		{"truncated array", apps, "malformed/truncated.json", "line 10, column 32", "", []string{"record 2", "cut off"}},
		{"truncated JSON Lines", servers, "malformed/truncated.jsonl", "line 2, column 59", "", []string{"record 2", "cut off"}},
		{"missing comma", apps, "malformed/missing-comma.json", "line 9, column 9", "", []string{"in record 2", "invalid JSON", "after object key:value pair"}},
		{"bad number", apps, "malformed/bad-availability.json", "line 3, column 5", "sla.availability",
			[]string{`record 2: attribute app.availability: "high" is not a number`}},
		{"array not closed", apps, "<[{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\"},\n", "line 1, column 63", "", []string{"before the closing ]", "cut off"}},
		{"array cut after [", apps, "<[ \n", "line 1, column 1", "", []string{"before the closing ]", "cut off"}},
		{"missing comma between records", apps, "<[{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\"}\n {}]", "line 2, column 2", "", []string{"in record 2", "after array element"}},
		{"bad token in value", apps, "<[\n  {\"assetTag\": tru}\n]", "line 2, column 19", "", []string{"in record 1", "invalid character '}'"}},
		{"data after the array", apps, "<[] []", "line 1, column 4", "", []string{"after the closing ]"}},
		{"record not an object", apps, "<[\n  \"AST-1\"\n]", "line 2, column 3", "", []string{"record 1: want an object, found a string"}},
		{"JSON Lines record not an object", apps, "<{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\"}\n[1]\n", "line 2, column 1", "", []string{"record 2: want an object, found an array"}},
		{"empty input", apps, "< \n\t", "line 2, column 2", "", []string{"empty input"}},
		{"not JSON", apps, "<assetTag,name\n", "line 1, column 1", "", []string{"want a JSON array of objects or JSON Lines", "'a'"}},
		{"no identifier", apps, "<[{\"displayName\": \"a\", \"category\": \"Database\"}]", "line 1, column 2", "assetTag", []string{"record 1: no identifier"}},
		{"object as a name", apps, "<[{\"assetTag\": \"A\", \"displayName\": {\"en\": \"a\"}, \"category\": \"Database\"}]", "line 1, column 2", "displayName", []string{"want text, found an object"}},
		{"object as relation target", apps, "<[{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\", \"dependsOn\": [{\"id\": 1}]}]", "line 1, column 2", "dependsOn", []string{"relation DEPENDS_ON", "a list holding an object"}},
		{"list of lists", apps, "<[{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\", \"tags\": [[\"x\"]]}]", "line 1, column 2", "tags", []string{"attribute app.tags", "a list holding a list"}},
		{"huge number", apps, "<[{\"assetTag\": \"A\", \"displayName\": \"a\", \"category\": \"Database\", \"deployment\": {\"replicas\": 1e999}}]", "line 1, column 2", "deployment.replicas", []string{"out of range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if s, ok := strings.CutPrefix(tc.file, "<"); ok {
				_, err = parseString(NewJSON(tc.mapping), s)
			} else {
				_, err = parseFile(t, NewJSON(tc.mapping), tc.file)
			}
			wantInputError(t, err, tc.at, tc.field, tc.msgs...)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		parser  func(Mapping) feed.Parser
		mapping string
		file    string
	}{
		{NewCSV, "assets.mapping.json", "assets.csv"},
		{NewCSV, "network-devices.mapping.json", "network-devices.csv"},
		{NewJSON, "applications.mapping.json", "applications.json"},
		{NewJSON, "servers.mapping.json", "servers.jsonl"},
	} {
		var first string
		for i := 0; i < 5; i++ {
			// A fresh mapping each time, so map iteration order differs.
			rec, err := parseFile(t, tc.parser(loadMapping(t, tc.mapping)), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = rec.dump()
			} else if got := rec.dump(); got != first {
				t.Fatalf("%s: run %d differs:\n%s\nfirst:\n%s", tc.file, i, got, first)
			}
		}
	}
}
