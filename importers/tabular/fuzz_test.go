package tabular

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// fuzzMappings are the mappings the fuzz targets choose from by index.
func fuzzMappings(t testing.TB) []Mapping {
	return []Mapping{
		small(),
		loadMapping(t, "assets.mapping.json"),
		loadMapping(t, "network-devices.mapping.json"),
		loadMapping(t, "applications.mapping.json"),
		loadMapping(t, "servers.mapping.json"),
	}
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for i := range 5 {
			f.Add(uint8(i), data)
		}
	}
}

// checkParse runs a parser on data and checks what any input must give:
// no panic, only InputErrors, well-formed items and links that marshal to
// JSON, and the same output on a second run.
func checkParse(t *testing.T, newParser func(Mapping) feed.Parser, m Mapping, data []byte) {
	var dumps []string
	for range 2 {
		rec := &recorder{}
		err := newParser(m).Parse(context.Background(), "fuzz", bytes.NewReader(data), rec)
		var ie *feed.InputError
		if err != nil && !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v (%T) is not an *feed.InputError", err, err)
		}
		if ie != nil && (ie.At == "" || ie.Message == "") {
			t.Fatalf("InputError without a position or message: %#v", ie)
		}
		for _, it := range rec.items {
			if it.Name == "" || len(it.Identifiers) == 0 || !classNameRE.MatchString(it.Class) || it.At == "" {
				t.Fatalf("malformed item %+v", it)
			}
			for _, id := range it.Identifiers {
				if id.Value == "" || !identifierKindRE.MatchString(id.Kind) {
					t.Fatalf("malformed identifier %+v", id)
				}
			}
			if _, err := json.Marshal(it.Attributes); err != nil {
				t.Fatalf("attributes do not marshal: %v", err)
			}
		}
		for _, l := range rec.links {
			if l.From.Value == "" || l.To.Value == "" || l.Type == "" {
				t.Fatalf("malformed link %+v", l)
			}
		}
		d := rec.dump()
		if err != nil {
			d += err.Error()
		}
		dumps = append(dumps, d)
	}
	if dumps[0] != dumps[1] {
		t.Fatalf("two runs differ:\n%s\n%s", dumps[0], dumps[1])
	}
}

func FuzzCSV(f *testing.F) {
	addSeeds(f, "assets.csv", "network-devices.csv", "malformed/wrong-columns.csv", "malformed/bad-number.csv", "malformed/no-identifier.csv")
	f.Add(uint8(0), []byte(smallHeader+" linux box , web-1 , SN1 , Web-1.Example.COM , 8 , Yes , a| b ||c ,\"{\"\"x\"\": [1]}\", hello ,\"a,b\",R1\n"))
	f.Add(uint8(0), []byte("\ufeff"+smallHeader+"vm,\"a\nb\",,h,1e3,f,,null,,,\n"))
	ms := fuzzMappings(f)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		checkParse(t, NewCSV, ms[int(which)%len(ms)], data)
	})
}

func FuzzJSON(f *testing.F) {
	addSeeds(f, "applications.json", "servers.jsonl", "malformed/truncated.json", "malformed/truncated.jsonl", "malformed/missing-comma.json", "malformed/bad-availability.json")
	f.Add(uint8(0), []byte(`[{"type": "vm", "name": "b", "host": "b.example.com", "extra": "[1,2]", "note": 5, "deps": "x,y", "tags": ["a", 1]}]`))
	f.Add(uint8(0), []byte("{\"name\": \"a\", \"sn\": 1e2, \"rack\": [\"r1\", \"r1\"]}\n{\"name\": \"b\", \"sn\": \"2\"}"))
	ms := fuzzMappings(f)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		checkParse(t, NewJSON, ms[int(which)%len(ms)], data)
	})
}
