package tabular

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

func TestCSVAssetsExport(t *testing.T) {
	rec, err := parseFile(t, NewCSV(loadMapping(t, "assets.mapping.json")), "assets.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec.scopes, []string{"asset-register"}) {
		t.Errorf("scopes %q, want [asset-register] once", rec.scopes)
	}
	if len(rec.items) != 12 {
		t.Fatalf("%d items, want 12", len(rec.items))
	}

	esx := rec.item(t, "AST-01001")
	want := feed.Item{
		Class: "Hypervisor",
		Name:  "esx-zrh-01",
		// The key first, then the other kinds in sorted order.
		Identifiers: []graph.Identifier{
			{Kind: "asset-tag", Value: "AST-01001"},
			{Kind: "fqdn", Value: "esx-zrh-01.corp.example.com"},
			{Kind: "serial", Value: "CZJ8140A1X"},
		},
		Attributes: map[string]any{
			"asset.cpuCores":     64.0,
			"asset.memoryGb":     512.0,
			"asset.inWarranty":   true,
			"asset.purchaseDate": "2021-03-15",
			"asset.tags":         []any{"vmware", "zrh"},
			"asset.notes":        "Rack B4, Zürich DC",
		},
		Environment: "production",
		Owner:       "Platform",
		At:          "line 3",
	}
	if !reflect.DeepEqual(esx, want) {
		t.Errorf("hypervisor row:\n got %+v\nwant %+v", esx, want)
	}

	// Empty cells are omitted, not stored as "": the cluster row has no
	// numbers, no fqdn and no serial.
	cluster := rec.item(t, "AST-01000")
	if cluster.Class != "Cluster" || len(cluster.Identifiers) != 1 {
		t.Errorf("cluster row: %+v", cluster)
	}
	if want := map[string]any{"asset.tags": []any{"vmware"}, "asset.notes": "HA cluster, 2 hosts"}; !reflect.DeepEqual(cluster.Attributes, want) {
		t.Errorf("cluster attributes %v, want %v", cluster.Attributes, want)
	}
	if db := rec.item(t, "AST-01010"); db.Class != "Server" || db.Attributes["asset.inWarranty"] != false ||
		db.Attributes["asset.notes"] != `Out of warranty; replacement "planned" for Q3` ||
		!reflect.DeepEqual(db.Attributes["asset.tags"], []any{"postgres", "tier 1"}) {
		t.Errorf("classMap / bool f / quoted cell: %+v", db)
	}
	// A cell with a line break: the row starts on line 8, and the next row
	// is on line 10.
	stg := rec.item(t, "AST-01022")
	if stg.At != "line 8" || stg.Attributes["asset.notes"] != "Rebuilt 2024-02-01\nafter disk failure" || stg.Class != "VirtualMachine" {
		t.Errorf("multi-line row: %+v", stg)
	}
	if _, ok := stg.Attributes["asset.tags"]; ok {
		t.Errorf("empty list kept: %v", stg.Attributes)
	}
	if lb := rec.item(t, "AST-01030"); lb.At != "line 10" {
		t.Errorf("row after the multi-line row at %q, want line 10", lb.At)
	}

	wantLinks := []string{
		"asset-tag=AST-01001 -MEMBER_OF-> asset-tag=AST-01000 @line 3",
		"asset-tag=AST-01002 -MEMBER_OF-> asset-tag=AST-01000 @line 4",
		"asset-tag=AST-01020 -RUNS_ON-> fqdn=esx-zrh-01.corp.example.com @line 6",
		"asset-tag=AST-01021 -RUNS_ON-> fqdn=esx-zrh-02.corp.example.com @line 7",
		"asset-tag=AST-01022 -RUNS_ON-> fqdn=esx-zrh-02.corp.example.com @line 8",
		// Several targets in one cell.
		"asset-tag=AST-01030 -DEPENDS_ON-> asset-tag=AST-01020 @line 10",
		"asset-tag=AST-01030 -DEPENDS_ON-> asset-tag=AST-01021 @line 10",
		"asset-tag=AST-02001 -RUNS_ON-> fqdn=web-01.corp.example.com @line 11",
		"asset-tag=AST-02001 -DEPENDS_ON-> asset-tag=AST-02010 @line 11",
		"asset-tag=AST-02001 -DEPENDS_ON-> asset-tag=AST-01030 @line 11",
		"asset-tag=AST-02002 -RUNS_ON-> fqdn=web-02.corp.example.com @line 12",
		"asset-tag=AST-02002 -DEPENDS_ON-> asset-tag=AST-02010 @line 12",
		"asset-tag=AST-02003 -RUNS_ON-> fqdn=web-stg-01.corp.example.com @line 13",
		"asset-tag=AST-02010 -RUNS_ON-> fqdn=db-pg-01.corp.example.com @line 14",
		// used_by is "in": the listed applications depend on this row.
		"asset-tag=AST-02001 -DEPENDS_ON-> asset-tag=AST-02010 @line 14",
		"asset-tag=AST-02002 -DEPENDS_ON-> asset-tag=AST-02010 @line 14",
	}
	if got := rec.linkLines(); !reflect.DeepEqual(got, wantLinks) {
		t.Errorf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLinks, "\n"))
	}
}

func TestCSVSemicolonExport(t *testing.T) {
	rec, err := parseFile(t, NewCSV(loadMapping(t, "network-devices.mapping.json")), "network-devices.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.scopes) != 0 {
		t.Errorf("scope reported without one in the mapping: %q", rec.scopes)
	}
	sw := rec.item(t, "10.10.4.11")
	want := feed.Item{
		Class: "NetworkDevice", Name: "sw-zrh-b4-1",
		Identifiers: []graph.Identifier{{Kind: "ip", Value: "10.10.4.11"}, {Kind: "hostname", Value: "sw-zrh-b4-1"}, {Kind: "serial", Value: "FOC2231X0AB"}},
		Attributes:  map[string]any{"net.model": "Cisco C9300-48P", "net.ports": 48.0},
		At:          "line 4",
	}
	if !reflect.DeepEqual(sw, want) {
		t.Errorf("switch row:\n got %+v\nwant %+v", sw, want)
	}
	wantLinks := []string{
		"asset-tag=RACK-ZRH-A1 -CONTAINS-> ip=10.10.0.1 @line 2",
		"asset-tag=RACK-ZRH-A1 -CONTAINS-> ip=10.10.0.2 @line 3",
		"asset-tag=RACK-ZRH-B4 -CONTAINS-> ip=10.10.4.11 @line 4",
		"ip=10.10.4.11 -CONNECTS_TO-> ip=10.10.0.1 @line 4",
		"ip=10.10.4.11 -CONNECTS_TO-> ip=10.10.0.2 @line 4",
		"asset-tag=RACK-ZRH-B4 -CONTAINS-> ip=10.10.4.12 @line 5",
		"ip=10.10.4.12 -CONNECTS_TO-> ip=10.10.0.1 @line 5",
		"ip=10.10.4.12 -CONNECTS_TO-> ip=10.10.0.2 @line 5",
	}
	if got := rec.linkLines(); !reflect.DeepEqual(got, wantLinks) {
		t.Errorf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLinks, "\n"))
	}
}

// small is a mapping exercising every feature on inline CSV.
func small() Mapping {
	return Mapping{
		Class:       "Server",
		ClassColumn: "type",
		ClassMap:    map[string]string{"Linux Box": "Server", "vm": "VirtualMachine"},
		NameColumn:  "name",
		Identifiers: map[string]string{"serial": "sn", "fqdn": "host"},
		Key:         "serial",
		Attributes: map[string]Attribute{
			"cpu":   {Column: "cpu", Type: TypeNumber},
			"ok":    {Column: "ok", Type: TypeBool},
			"tags":  {Column: "tags", Type: TypeList, Separator: "|"},
			"extra": {Column: "extra", Type: TypeJSON},
			"note":  {Column: "note"},
		},
		Relations: []Relation{
			{Type: "DEPENDS_ON", Column: "deps", Kind: "fqdn", Separator: ","},
			{Type: "CONTAINS", Column: "rack", Kind: "rack", Direction: DirectionIn},
		},
	}
}

const smallHeader = "type,name,sn,host,cpu,ok,tags,extra,note,deps,rack\n"

func TestCSVRows(t *testing.T) {
	tests := []struct {
		name, rows string
		items      []feed.Item
		links      []string
	}{
		{
			name: "typed attributes, trimmed cells, classMap case-insensitive",
			rows: " linux box , web-1 , SN1 , Web-1.Example.COM , 8 , Yes , a| b ||c ,\"{\"\"x\"\": [1, true]}\", hello ,,\n",
			items: []feed.Item{{
				Class: "Server", Name: "web-1",
				// fqdn values are lower-cased like the graph does.
				Identifiers: []graph.Identifier{{Kind: "serial", Value: "SN1"}, {Kind: "fqdn", Value: "web-1.example.com"}},
				Attributes:  map[string]any{"cpu": 8.0, "ok": true, "tags": []any{"a", "b", "c"}, "extra": map[string]any{"x": []any{1.0, true}}, "note": "hello"},
				At:          "line 2",
			}},
		},
		{
			name: "empty cells omitted, class default, attributes map kept",
			rows: ",db,SN2,,,,,,,,\n",
			items: []feed.Item{{
				Class: "Server", Name: "db",
				Identifiers: []graph.Identifier{{Kind: "serial", Value: "SN2"}},
				Attributes:  map[string]any{},
				At:          "line 2",
			}},
		},
		{
			name: "unmapped class name passes through",
			rows: "Database,db,SN3,,,,,,,,\n",
			items: []feed.Item{{
				Class: "Database", Name: "db", Identifiers: []graph.Identifier{{Kind: "serial", Value: "SN3"}},
				Attributes: map[string]any{}, At: "line 2",
			}},
		},
		{
			name: "key empty: links use the next identifier; targets deduplicated; in and out",
			rows: "VM,app,,app.example.com,,,,,,\"db.example.com, cache.example.com,db.example.com,\",R12\n",
			items: []feed.Item{{
				Class: "VirtualMachine", Name: "app", Identifiers: []graph.Identifier{{Kind: "fqdn", Value: "app.example.com"}},
				Attributes: map[string]any{}, At: "line 2",
			}},
			links: []string{
				"fqdn=app.example.com -DEPENDS_ON-> fqdn=db.example.com @line 2",
				"fqdn=app.example.com -DEPENDS_ON-> fqdn=cache.example.com @line 2",
				"rack=R12 -CONTAINS-> fqdn=app.example.com @line 2",
			},
		},
		{
			name: "blank rows skipped",
			rows: "\n,,,,,,,,,,\n , , ,,,,,,,,\nServer,x,SN4,,,,,,,,\n",
			items: []feed.Item{{
				Class: "Server", Name: "x", Identifiers: []graph.Identifier{{Kind: "serial", Value: "SN4"}},
				Attributes: map[string]any{}, At: "line 5",
			}},
		},
		{
			name: "header only",
			rows: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := parseString(NewCSV(small()), smallHeader+tc.rows)
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

func TestCSVHeaderVariants(t *testing.T) {
	m := Mapping{Class: "Server", NameColumn: "Name", Identifiers: map[string]string{"serial": "Serial Number"}, Delimiter: "\t"}
	// Excel's "CSV UTF-8" starts with a byte order mark; tabs; quoted and
	// padded header names; columns in any order.
	input := "\ufeff\"Serial Number\"\t Name \tIgnored\nSN1\tweb\tx\n"
	rec, err := parseString(NewCSV(m), input)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.items) != 1 || rec.items[0].Name != "web" || rec.items[0].Identifiers[0].Value != "SN1" || rec.items[0].Attributes != nil {
		t.Errorf("items %+v", rec.items)
	}
}

func TestCSVErrors(t *testing.T) {
	assets := loadMapping(t, "assets.mapping.json")
	tests := []struct {
		name    string
		mapping Mapping
		file    string // under testdata, or inline input when it has a newline
		at      string
		field   string
		msgs    []string
	}{
		{"wrong columns", assets, "malformed/wrong-columns.csv", "line 1", "asset_type",
			[]string{`column "asset_type" (classColumn) is not in the header`, `also missing: "name", "asset_tag"`, `the header has: "Asset Tag", "Name", "Type", "FQDN", "Serial Number", "Environment", "Owner"`}},
		{"bad number", assets, "malformed/bad-number.csv", "line 5", "cpu_cores",
			[]string{`attribute asset.cpuCores: "four" is not a number`}},
		{"no identifier", assets, "malformed/no-identifier.csv", "line 3", "asset_tag, fqdn, serial_number",
			[]string{`no identifier: "asset_tag", "fqdn", "serial_number" are all empty`}},
		{"semicolons without delimiter", Mapping{Class: "NetworkDevice", NameColumn: "hostname", Identifiers: map[string]string{"ip": "mgmt_ip"}},
			"network-devices.csv", "line 1", "hostname", []string{`set "delimiter"`}},
		{"empty file", small(), "\n", "line 1", "", []string{"header row"}},
		{"duplicate mapped column", small(), "type,name,sn,host,cpu,ok,tags,extra,note,deps,rack,cpu\n", "line 1", "cpu",
			[]string{"appears twice", "columns 5 and 12"}},
		{"ragged row", small(), smallHeader + "Server,a,SN1,,,,,,,,\nServer,b,SN2\n", "line 3", "", []string{"row has 3 fields, the header has 11"}},
		{"bare quote", small(), smallHeader + "Server,a\"b,SN1,,,,,,,,\n", "line 2, column 9", "", []string{"bare"}},
		{"unterminated quote", small(), smallHeader + "Server,\"a,SN1,,,,,,,,\n", "line 2, column 23", "", []string{"extraneous or missing"}},
		{"unterminated quote over lines", small(), smallHeader + "Server,\"a,SN1,,,,,,,,\nServer,b,SN2,,,,,,,,\n", "line 3, column 22", "", []string{"extraneous or missing", "the row starts on line 2"}},
		{"empty name", small(), smallHeader + "Server, ,SN1,,,,,,,,\n", "line 2", "name", []string{"name is empty"}},
		{"not a class", small(), smallHeader + "linux server,a,SN1,,,,,,,,\n", "line 2", "type", []string{`"linux server" is not a class name`}},
		{"bad bool", small(), smallHeader + "Server,a,SN1,,,maybe,,,,,\n", "line 2", "ok", []string{`attribute ok: "maybe" is not true or false`}},
		{"bad json", small(), smallHeader + "Server,a,SN1,,,,,{x,,,\n", "line 2", "extra", []string{"attribute extra: not valid JSON"}},
		{"number not finite", small(), smallHeader + "Server,a,SN1,,NaN,,,,,,\n", "line 2", "cpu", []string{`"NaN" is not a number`}},
		{"number out of range", small(), smallHeader + "Server,a,SN1,,1e999,,,,,,\n", "line 2", "cpu", []string{"out of range"}},
		{"invalid UTF-8", small(), smallHeader + "Server,caf\xe9,SN1,,,,,,,,\n", "line 2", "name", []string{"UTF-8"}},
		{"long identifier", small(), smallHeader + "Server,a," + strings.Repeat("x", 513) + ",,,,,,,,\n", "line 2", "sn", []string{"longer than 512"}},
		{"error line of a cell after a line break", small(), smallHeader + "Server,\"a\nb\",SN1,,x,,,,,,\n", "line 3", "cpu", []string{"not a number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if strings.Contains(tc.file, "\n") {
				_, err = parseString(NewCSV(tc.mapping), tc.file)
			} else {
				_, err = parseFile(t, NewCSV(tc.mapping), tc.file)
			}
			wantInputError(t, err, tc.at, tc.field, tc.msgs...)
			var ie *feed.InputError
			if errors.As(err, &ie) && ie.File == "" {
				t.Errorf("error without the file name: %v", err)
			}
		})
	}
}

func TestCSVStopsAtEmitterError(t *testing.T) {
	rec := &recorder{failAfter: 2}
	f := strings.NewReader(smallHeader + "Server,a,SN1,,,,,,,,\nServer,b,SN2,,,,,,,,\nServer,c,SN3,,,,,,,,\n")
	err := NewCSV(small()).Parse(context.Background(), "x.csv", f, rec)
	if !errors.Is(err, errEmit) || len(rec.items) != 2 {
		t.Errorf("err %v after %d items, want the emitter's error after 2", err, len(rec.items))
	}
}

func TestParsersHonourContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tc := range map[string]struct {
		p     feed.Parser
		input string
	}{
		"csv":  {NewCSV(small()), smallHeader + "Server,a,SN1,,,,,,,,\n"},
		"json": {NewJSON(small()), `[{"name": "a", "sn": "SN1"}]`},
	} {
		rec := &recorder{}
		err := tc.p.Parse(ctx, "f", strings.NewReader(tc.input), rec)
		if !errors.Is(err, context.Canceled) || len(rec.items) != 0 {
			t.Errorf("%s: err %v with %d items, want context.Canceled and nothing", name, err, len(rec.items))
		}
	}
}

// endless yields a header (or "[") once and then the same row forever,
// so a parser that read its whole input before emitting would never return.
type endless struct {
	head, row []byte
	buf       []byte
}

func (e *endless) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		if e.head != nil {
			e.buf, e.head = e.head, nil
		} else {
			e.buf = e.row
		}
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

func TestParsersStream(t *testing.T) {
	for name, tc := range map[string]struct {
		p         feed.Parser
		head, row string
	}{
		"csv":        {NewCSV(small()), smallHeader, "Server,a,SN1,,,,,,,,\n"},
		"json array": {NewJSON(small()), "[", `{"name": "a", "sn": "SN1"},`},
		"json lines": {NewJSON(small()), "", `{"name": "a", "sn": "SN1"}` + "\n"},
	} {
		rec := &recorder{failAfter: 1000}
		err := tc.p.Parse(context.Background(), "endless", &endless{head: []byte(tc.head), row: []byte(tc.row)}, rec)
		if !errors.Is(err, errEmit) {
			t.Errorf("%s: %v, want the emitter's error after 1000 items", name, err)
		}
	}
}
