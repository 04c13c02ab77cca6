package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/bench/loadgen"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/embedded"
	"github.com/ripple-cmdb/ripple/store/neo4j"
	"github.com/ripple-cmdb/ripple/store/neo4j/neo4jtest"
)

// TestImportCrashChild is the process TestImportKilled kills: it runs
// `ripple import` with the arguments it is given, as the binary would.
func TestImportCrashChild(t *testing.T) {
	args := os.Getenv("RIPPLE_CRASH_CHILD_ARGS")
	if args == "" {
		t.Skip("run by TestImportKilled")
	}
	cli, _ := parse(t, strings.Split(args, "\x1f")...)
	err := cli.Import.run(context.Background(), zerolog.Nop(), os.Stdout, os.Stderr)
	fmt.Fprintf(os.Stderr, "\nchild finished: %v\n", err)
}

// TestImportKilled: kill -9 of `ripple import`, or of the `ripple serve`
// an import was sent to, in the middle of the import leaves a RUNNING run
// that the next start recovers as INTERRUPTED, with the counts of what was
// actually written; running the import again finishes it. On both stores,
// which apply an import in batches (some may be written when the process
// dies).
func TestImportKilled(t *testing.T) {
	stores := []struct {
		name string
		rows int
		// written, when set, tells when some batches are in the store
		// (Neo4j; the embedded store is locked by the child).
		written func(uri string) bool
		args    func(t *testing.T) []string
		open    func(t *testing.T, args []string) graph.Store
	}{
		{"embedded", 20000, nil, func(t *testing.T) []string {
			return []string{"--store", "embedded", "--data-dir", t.TempDir()}
		}, func(t *testing.T, args []string) graph.Store {
			s, err := embedded.Open(context.Background(), args[3], graph.DefaultCatalogue())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		}},
		{"neo4j", 1000, func(uri string) bool {
			s, err := neo4j.Open(context.Background(), neo4j.Config{URI: uri, StartTimeout: 20 * time.Second}, graph.DefaultCatalogue(), zerolog.Nop())
			if err != nil {
				return false
			}
			defer s.Close(context.Background())
			page, err := s.ListCIs(context.Background(), graph.CIFilter{}, graph.Page{First: 1})
			return err == nil && page.TotalCount > 0
		}, func(t *testing.T) []string {
			uri := neo4jtest.Require(t)
			neo4jtest.Exclusive(t, uri)
			neo4jtest.Wipe(t, uri)
			return []string{"--store", "neo4j", "--neo4j-uri", uri, "--neo4j-import-batch", "100"}
		}, func(t *testing.T, args []string) graph.Store {
			s, err := neo4j.Open(context.Background(), neo4j.Config{URI: args[3], StartTimeout: 20 * time.Second}, graph.DefaultCatalogue(), zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		}},
	}
	for _, st := range stores {
		for _, killed := range []string{"import", "serve"} {
			t.Run(st.name+"/"+killed, func(t *testing.T) {
				testImportKilled(t, killed, st.rows, st.written, st.args, st.open)
			})
		}
	}
}

// testImportKilled kills the process running (killed: "import") or serving
// ("serve") an import of rows hosts, then checks what the next start recovers.
func testImportKilled(t *testing.T, killed string, rows int, writtenIn func(uri string) bool,
	args func(t *testing.T) []string, open func(t *testing.T, args []string) graph.Store) {
	storeArgs := args(t)
	dir := t.TempDir()
	csvPath, mapping := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "hosts.mapping.json")
	writeHosts(t, csvPath, rows)
	if err := os.WriteFile(mapping, []byte(`{"class": "Server", "nameColumn": "host", "identifiers": {"hostname": "host"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	importArgs := append(append([]string{"import"}, storeArgs...),
		"--progress", "always", "--scope", "hosts", "--mapping", mapping, "csv", csvPath)

	var written func() bool
	if writtenIn != nil {
		written = func() bool { return writtenIn(storeArgs[3]) }
	}
	if killed == "import" {
		killMidApply(t, importArgs, written)
	} else {
		killServeMidImport(t, storeArgs, csvPath, mapping, written)
	}

	// The next start: the dead process's lease has expired.
	s := open(t, storeArgs)
	svc := app.New(s, formats.DefaultPolicy())
	later := time.Now().Add(svc.Imports.Lease() + time.Minute)
	svc.Imports.Now = func() time.Time { return later }
	ctx := context.Background()
	if n, err := svc.Imports.Reclaim(ctx, importers.RunFilter{}); err != nil || n != 1 {
		all, _, _, lerr := importers.ListRuns(ctx, s, importers.RunFilter{}, graph.Page{First: 10})
		t.Fatalf("reclaimed %d runs: %v; runs %+v (%v)", n, err, all, lerr)
	}
	runs, _, _, err := importers.ListRuns(ctx, s, importers.RunFilter{}, graph.Page{First: 10})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v: %v", runs, err)
	}
	run := runs[0]
	cis, err := s.ListCIs(ctx, graph.CIFilter{}, graph.Page{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s killed mid-import: %d of %d CIs written; recovered run %s counts %+v: %s",
		killed, cis.TotalCount, rows, run.Outcome, run.Counts, run.Error)
	if run.Outcome != importers.OutcomeInterrupted || run.Counts.Created != cis.TotalCount || run.Finished == nil ||
		run.Counts.Items != rows || !strings.Contains(run.Error, "process running this import stopped") {
		t.Fatalf("recovered run: %s %+v %q", run.Outcome, run.Counts, run.Error)
	}
	if writtenIn != nil && (cis.TotalCount == 0 || cis.TotalCount == rows) {
		t.Errorf("the kill did not land between batches: %d of %d written", cis.TotalCount, rows)
	}
	// A second reclaim finds nothing; the import run again finishes.
	if n, err := svc.Imports.Reclaim(ctx, importers.RunFilter{}); err != nil || n != 0 {
		t.Fatalf("second reclaim: %d, %v", n, err)
	}
	svc.Imports.Now = nil
	again, _, err := svc.Imports.Run(ctx, importers.Request{Format: "csv", Scope: "hosts"}, readHosts(t, csvPath, mapping))
	if err != nil || again.Outcome != importers.OutcomeSucceeded || again.Counts.Created != rows-cis.TotalCount {
		t.Fatalf("re-run: %v %s %+v", err, again.Outcome, again.Counts)
	}
}

// killServeMidImport runs `ripple serve` over the store, sends it the CSV
// import, and SIGKILLs the server once the run is RUNNING and, if written
// is not nil, once written says that some of it was written.
func killServeMidImport(t *testing.T, storeArgs []string, csvPath, mapping string, written func() bool) {
	t.Helper()
	p := startRipple(t, storeArgs...)
	body, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(mapping)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"scope": {"hosts"}, "mapping": {string(m)}}
	sent := make(chan error, 1)
	go func() {
		res, err := http.Post(p.URL+"/api/v1/imports/csv?"+q.Encode(), "text/csv", bytes.NewReader(body))
		if err == nil {
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			err = fmt.Errorf("the import finished before the server was killed: %d %.300s", res.StatusCode, raw)
		}
		sent <- err
	}()
	c := &loadgen.Client{URL: p.URL}
	started := time.Now()
	for deadline := started.Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var runs struct {
			ImportRuns struct {
				Edges []struct{ Node struct{ Outcome string } }
			}
		}
		if err := c.Do(context.Background(), `{ importRuns(first: 1) { edges { node { outcome } } } }`, nil, &runs); err != nil {
			t.Fatal(err)
		}
		if e := runs.ImportRuns.Edges; len(e) == 1 && e[0].Node.Outcome == "RUNNING" {
			break
		}
		select {
		case err := <-sent:
			t.Fatal(err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the import never ran")
		}
	}
	t.Logf("RUNNING after %v", time.Since(started))
	for deadline := time.Now().Add(2 * time.Minute); written != nil && !written() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	p.kill(t)
	if err := <-sent; strings.Contains(err.Error(), "finished before") {
		t.Fatal(err)
	}
}

// killMidApply runs `ripple import` in a child process and SIGKILLs it
// once it is applying and, if written is not nil, once written says that
// some of it was written.
func killMidApply(t *testing.T, args []string, written func() bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RIPPLE_CRASH_CHILD_ARGS="+strings.Join(args, "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	started := time.Now()
	// The progress bar draws "applying…" without a line end: look for it
	// in what has arrived.
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := stderr.Read(buf)
		seen = append(seen, buf[:n]...)
		if strings.Contains(string(seen), "child finished") {
			t.Fatalf("the import finished before it was killed: %q", seen)
		}
		if strings.Contains(string(seen), "applying") {
			t.Logf("applying after %v", time.Since(started))
			for deadline := time.Now().Add(2 * time.Minute); written != nil && !written() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err != nil {
			t.Fatalf("the child never started applying: %q", seen)
		}
	}
}

func writeHosts(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "host")
	for i := range n {
		fmt.Fprintf(w, "host-%06d\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readHosts(t *testing.T, csvPath, mapping string) importers.Read {
	t.Helper()
	m, err := os.Open(mapping)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prep, err := formats.Prepare(formats.Spec{Format: "csv", Scope: "hosts", Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := importers.Files([]string{csvPath})
	if err != nil {
		t.Fatal(err)
	}
	return importers.ReadInputs(prep.Parser, inputs, nil)
}
