package tabular

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

func TestLoadMappingErrors(t *testing.T) {
	const ok = `"nameColumn": "name", "class": "Server", "identifiers": {"serial": "sn"}`
	tests := []struct {
		name, mapping string
		field, msg    string
	}{
		{"unknown top-level key", `{` + ok + `, "nameColum": "x"}`, "nameColum", `unknown key "nameColum"`},
		{"unknown relation key", `{` + ok + `, "relations": [{"type": "RUNS_ON", "colum": "host", "kind": "fqdn"}]}`, "relations[0].colum", "known keys: column, direction, kind, separator, type"},
		{"unknown attribute key", `{` + ok + `, "attributes": {"hw.cpu": {"column": "cpu", "typ": "number"}}}`, `attributes["hw.cpu"].typ`, `unknown key "typ"`},
		{"key given twice", `{` + ok + `, "class": "Database"}`, "class", "given twice"},
		{"identifier given twice", `{"nameColumn": "name", "class": "Server", "identifiers": {"serial": "a", "serial": "b"}}`, `identifiers["serial"]`, "given twice"},
		{"no identifiers", `{"nameColumn": "name", "class": "Server"}`, "identifiers", "at least one identifier"},
		{"empty identifiers", `{"nameColumn": "name", "class": "Server", "identifiers": {}}`, "identifiers", "at least one identifier"},
		{"no name", `{"class": "Server", "identifiers": {"serial": "sn"}}`, "nameColumn", "nameColumn is required"},
		{"no class", `{"nameColumn": "name", "identifiers": {"serial": "sn"}}`, "class", "classColumn"},
		{"bad class", `{"nameColumn": "name", "class": "server", "identifiers": {"serial": "sn"}}`, "class", "must match"},
		{"classMap without column", `{` + ok + `, "classMap": {"linux": "Server"}}`, "classMap", "needs classColumn"},
		{"classMap bad value", `{"nameColumn": "name", "classColumn": "t", "identifiers": {"serial": "sn"}, "classMap": {"linux": "linux server"}}`, `classMap["linux"]`, "must match"},
		{"name not a string", `{"nameColumn": 3, "class": "Server", "identifiers": {"serial": "sn"}}`, "nameColumn", "must be a string, not a number"},
		{"identifier not a string", `{"nameColumn": "n", "class": "Server", "identifiers": {"serial": ["sn"]}}`, `identifiers["serial"]`, "not an array"},
		{"bad identifier kind", `{"nameColumn": "n", "class": "Server", "identifiers": {"Serial Number": "sn"}}`, `identifiers["Serial Number"]`, "must match"},
		{"empty identifier column", `{"nameColumn": "n", "class": "Server", "identifiers": {"serial": " "}}`, `identifiers["serial"]`, "must not be empty"},
		{"key not an identifier", `{` + ok + `, "key": "fqdn"}`, "key", `"fqdn" is not one of the identifier kinds (serial)`},
		{"bad attribute type", `{` + ok + `, "attributes": {"cpu": {"column": "cpu", "type": "integer"}}}`, `attributes["cpu"].type`, `unknown type "integer"`},
		{"separator on a number", `{` + ok + `, "attributes": {"cpu": {"column": "cpu", "type": "number", "separator": ";"}}}`, `attributes["cpu"].separator`, "only to type"},
		{"attribute without column", `{` + ok + `, "attributes": {"cpu": {"type": "number"}}}`, `attributes["cpu"].column`, "must not be empty"},
		{"attribute is a number", `{` + ok + `, "attributes": {"cpu": 3}}`, `attributes["cpu"]`, "not a number"},
		{"relations not a list", `{` + ok + `, "relations": {"type": "RUNS_ON"}}`, "relations", "must be a JSON array"},
		{"bad relation type", `{` + ok + `, "relations": [{"type": "runs on", "column": "h", "kind": "fqdn"}]}`, "relations[0].type", "must match"},
		{"relation without kind", `{` + ok + `, "relations": [{"type": "RUNS_ON", "column": "h"}]}`, "relations[0].kind", "must match"},
		{"bad direction", `{` + ok + `, "relations": [{"type": "RUNS_ON", "column": "h", "kind": "fqdn", "direction": "both"}]}`, "relations[0].direction", `unknown direction "both"`},
		{"bad delimiter", `{` + ok + `, "delimiter": ";;"}`, "delimiter", "one character"},
		{"quote delimiter", `{` + ok + `, "delimiter": "\""}`, "delimiter", "one character"},
		{"not an object", `["nameColumn"]`, "", "must be a JSON object, not an array"},
		{"syntax error", "{\n  \"nameColumn\": \"name\"\n  \"class\": \"Server\"\n}", "", "line 3, column 3: invalid JSON"},
		{"truncated", "{\n  \"nameColumn\": \"name\",\n", "", "line 2, column 23: invalid JSON"},
		{"trailing data", `{` + ok + `} {}`, "", "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadMapping(strings.NewReader(tc.mapping))
			if err == nil {
				t.Fatal("no error")
			}
			if graph.ErrorCode(err) != graph.CodeInvalidInput {
				t.Errorf("code %s, want INVALID_INPUT (%v)", graph.ErrorCode(err), err)
			}
			if got := graph.ErrorField(err); got != tc.field {
				t.Errorf("field %q, want %q (%v)", got, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestLoadMappingShorthandAndRoundTrip(t *testing.T) {
	for _, name := range []string{"assets.mapping.json", "network-devices.mapping.json", "applications.mapping.json", "servers.mapping.json"} {
		t.Run(name, func(t *testing.T) {
			m := loadMapping(t, name)
			// What json.Marshal writes, LoadMapping reads back unchanged:
			// tools may generate mappings from the Go type.
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			again, err := LoadMapping(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("reloading %s: %v", b, err)
			}
			if !reflect.DeepEqual(m, again) {
				t.Errorf("round trip changed the mapping:\n%+v\n%+v", m, again)
			}
		})
	}
	m := loadMapping(t, "assets.mapping.json")
	if got, want := m.Attributes["asset.notes"], (Attribute{Column: "notes"}); got != want {
		t.Errorf("shorthand attribute = %+v, want %+v", got, want)
	}
	if got := m.Attributes["asset.tags"]; got.Type != TypeList || got.Separator != ";" {
		t.Errorf("list attribute = %+v", got)
	}
}

func TestInvalidMappingFailsParse(t *testing.T) {
	m := Mapping{Class: "Server", NameColumn: "name"} // no identifiers
	if err := m.Validate(); graph.ErrorField(err) != "identifiers" {
		t.Fatalf("Validate() = %v, want an identifiers error", err)
	}
	for name, parser := range map[string]feed.Parser{"csv": NewCSV(m), "json": NewJSON(m)} {
		rec, err := parseString(parser, "name,sn\nweb,1\n")
		if graph.ErrorField(err) != "identifiers" || !strings.Contains(err.Error(), "tabular mapping") {
			t.Errorf("%s: Parse() = %v, want the mapping's identifiers error", name, err)
		}
		if len(rec.items)+len(rec.scopes) != 0 {
			t.Errorf("%s: emitted %v", name, rec.dump())
		}
	}
}

// TestReadmeExamples parses the examples in README.md with their mappings,
// so the user documentation cannot drift from the code.
func TestReadmeExamples(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]string{}
	for _, part := range strings.Split(string(data), "```")[1:] {
		lang, body, ok := strings.Cut(part, "\n")
		if ok && (lang == "csv" || lang == "json") {
			blocks[lang] = append(blocks[lang], body)
		}
	}
	// json blocks: the relation snippet, the CSV mapping, the JSON input,
	// the JSON mapping.
	if len(blocks["csv"]) != 1 || len(blocks["json"]) != 4 {
		t.Fatalf("README has %d csv and %d json blocks, want 1 and 4", len(blocks["csv"]), len(blocks["json"]))
	}
	csvMapping, err := LoadMapping(strings.NewReader(blocks["json"][1]))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseString(NewCSV(csvMapping), blocks["csv"][0])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"asset.cpuCores": 64.0, "asset.memoryGb": 512.0, "asset.inWarranty": true, "asset.tags": []any{"vmware", "zrh"}}
	if len(rec.items) != 3 || rec.items[0].Class != "Hypervisor" || !reflect.DeepEqual(rec.items[0].Attributes, want) || len(rec.links) != 7 {
		t.Errorf("CSV example:\n%s", rec.dump())
	}
	jsonMapping, err := LoadMapping(strings.NewReader(blocks["json"][3]))
	if err != nil {
		t.Fatal(err)
	}
	rec, err = parseString(NewJSON(jsonMapping), blocks["json"][2])
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"app.tags": []any{"customer-facing", "pci"}, "app.replicas": 1.0, "app.availability": 99.95, "app.sla": map[string]any{"availability": 99.95, "pci": true}}
	if len(rec.items) != 1 || rec.items[0].Owner != "E-commerce" || !reflect.DeepEqual(rec.items[0].Attributes, want) || len(rec.links) != 3 {
		t.Errorf("JSON example:\n%s", rec.dump())
	}
	var rel Relation
	if err := json.Unmarshal([]byte(blocks["json"][0]), &rel); err != nil || rel.Separator != "," {
		t.Errorf("relation snippet: %v %+v", err, rel)
	}
}
