// Command embeddedscale measures the embedded store at a size you pass:
// loading a generated estate (bench/estate) through Store.Apply, opening
// the file it leaves, a blast radius right after opening, and a CSV import
// of a separate file through the import engine. Each phase runs in a
// child process of its own, so that its peak resident set is its own.
//
//	GOMEMLIMIT=3GiB go run ./bench/embeddedscale -ci 1000000 -rows 60000
//
// It prints one line per figure. The store is built in -dir (a temporary
// directory by default) and kept there with -keep, so that -skip-load can
// time opening it again.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ripple-cmdb/ripple/bench/estate"
	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
	"github.com/ripple-cmdb/ripple/store/embedded"
)

type config struct {
	ci, rows, batch, depth int
	seed                   int64
	dir                    string
	keep, skipLoad, hub    bool
	phase, cpuProfile      string
	memProfile             string
	importBatch            int
}

func main() {
	var cfg config
	flag.IntVar(&cfg.ci, "ci", 100000, "CIs in the generated estate")
	flag.IntVar(&cfg.rows, "rows", 60000, "rows in the CSV import (0: skip it)")
	flag.IntVar(&cfg.batch, "batch", 5000, "CIs or relations per Store.Apply when loading")
	flag.IntVar(&cfg.depth, "depth", 6, "blast radius depth")
	flag.Int64Var(&cfg.seed, "seed", 1, "estate generator seed")
	flag.StringVar(&cfg.dir, "dir", "", "working directory (default: a temporary one)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the working directory")
	flag.BoolVar(&cfg.skipLoad, "skip-load", false, "reuse the store already in -dir")
	flag.BoolVar(&cfg.hub, "hub", false, "every CSV row depends on the first row's CI (one hub with an edge per row)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write the CSV import's CPU profile to this file")
	flag.StringVar(&cfg.memProfile, "memprofile", "", "write the CSV import's live heap, once planned, to this file")
	flag.IntVar(&cfg.importBatch, "import-batch", 0, "writes per transaction in the CSV import (0: the store's preference, -1: one transaction)")
	flag.StringVar(&cfg.phase, "phase", "", "internal: the phase a child process runs")
	flag.Parse()
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "embeddedscale:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.phase != "" {
		return child(ctx, cfg)
	}
	if cfg.dir == "" {
		d, err := os.MkdirTemp("", "embeddedscale-")
		if err != nil {
			return err
		}
		cfg.dir = d
	}
	if !cfg.keep && !cfg.skipLoad {
		defer os.RemoveAll(cfg.dir)
	}
	fmt.Printf("embedded store, estate of %d CIs (seed %d), in %s, GOMEMLIMIT=%s\n", cfg.ci, cfg.seed, cfg.dir, os.Getenv("GOMEMLIMIT"))
	store := filepath.Join(cfg.dir, "estate")
	// -ci 0: the CSV import only.
	if cfg.ci > 0 && !cfg.skipLoad {
		if err := os.RemoveAll(store); err != nil {
			return err
		}
		if err := spawn(cfg, "load"); err != nil {
			return err
		}
	}
	if cfg.ci > 0 {
		if err := spawn(cfg, "open"); err != nil {
			return err
		}
	}
	if cfg.rows > 0 {
		if err := os.RemoveAll(filepath.Join(cfg.dir, "import")); err != nil {
			return err
		}
		if err := spawn(cfg, "import"); err != nil {
			return err
		}
	}
	return nil
}

// spawn runs one phase in a child process with the same flags.
func spawn(cfg config, phase string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-phase", phase, "-ci", strconv.Itoa(cfg.ci), "-rows", strconv.Itoa(cfg.rows),
		"-batch", strconv.Itoa(cfg.batch), "-depth", strconv.Itoa(cfg.depth), "-seed", strconv.FormatInt(cfg.seed, 10), "-dir", cfg.dir,
		"-hub="+strconv.FormatBool(cfg.hub), "-cpuprofile", cfg.cpuProfile, "-memprofile", cfg.memProfile, "-import-batch", strconv.Itoa(cfg.importBatch))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("phase %s: %w", phase, err)
	}
	return nil
}

func child(ctx context.Context, cfg config) error {
	switch cfg.phase {
	case "load":
		return load(ctx, cfg)
	case "open":
		return open(ctx, cfg)
	case "import":
		return importCSV(ctx, cfg)
	}
	return fmt.Errorf("unknown phase %q", cfg.phase)
}

func load(ctx context.Context, cfg config) error {
	est := estate.Generate(cfg.ci, cfg.seed)
	dir := filepath.Join(cfg.dir, "estate")
	t0, c0 := time.Now(), cpu()
	s, err := embedded.Open(ctx, dir, graph.DefaultCatalogue())
	if err != nil {
		return err
	}
	if _, err := est.Load(ctx, s, cfg.batch); err != nil {
		return err
	}
	if err := s.Close(ctx); err != nil {
		return err
	}
	took, used := time.Since(t0), cpu()-c0
	fmt.Printf("load        %d CIs, %d relations in %v (%v CPU), peak RSS %s (estate generator included)\n",
		len(est.CIs), len(est.Rels), took.Round(time.Millisecond), used.Round(time.Millisecond), mib(status("VmHWM")))
	fmt.Printf("file size   %s\n", fileSize(filepath.Join(dir, embedded.FileName)))
	return nil
}

func open(ctx context.Context, cfg config) error {
	dir := filepath.Join(cfg.dir, "estate")
	if _, err := os.Stat(filepath.Join(dir, embedded.FileName)); err != nil {
		return err
	}
	t0, c0 := time.Now(), cpu()
	s, err := embedded.Open(ctx, dir, graph.DefaultCatalogue())
	if err != nil {
		return err
	}
	took, used := time.Since(t0), cpu()-c0
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("open        %v (%v CPU), RSS after open %s (live heap %d MiB, file pages mapped %s, peak RSS %s)\n",
		took.Round(time.Millisecond), used.Round(time.Millisecond), mib(status("VmRSS")), ms.HeapAlloc>>20, mib(mappedRSS(embedded.FileName)), mib(status("VmHWM")))
	// The estate's data-centre seed: the largest blast radius it has.
	est := estate.Generate(cfg.ci, cfg.seed)
	name := est.CIs[est.Seeds[estate.RoleDataCentre]].Name
	owners, err := s.LookupIdentifiers(ctx, []graph.Identifier{{Kind: "bench", Value: name}})
	if err != nil {
		return err
	}
	seed := owners[graph.Identifier{Kind: "bench", Value: name}]
	if seed == "" {
		return fmt.Errorf("seed %s not found", name)
	}
	est = nil
	q := graph.NeighbourhoodQuery{Seeds: []string{seed}, Direction: graph.Downstream, MaxDepth: cfg.depth}
	for i := range 3 {
		t0, c0 = time.Now(), cpu()
		sub, err := s.Neighbourhood(ctx, q)
		if err != nil {
			return err
		}
		label := "first"
		if i > 0 {
			label = "again"
		}
		fmt.Printf("blast radius (%s) data centre depth %d: %d nodes, %d edges in %v (%v CPU)\n", label, cfg.depth, len(sub.Nodes), len(sub.Edges),
			time.Since(t0).Round(time.Millisecond), (cpu() - c0).Round(time.Millisecond))
	}
	fmt.Printf("RSS after blast radius %s\n", mib(status("VmRSS")))
	return s.Close(ctx)
}

// importCSV imports a generated CSV of servers, each depending on an
// earlier one, into a fresh store with the csv format, as `ripple import`
// does.
func importCSV(ctx context.Context, cfg config) error {
	dir := filepath.Join(cfg.dir, "import")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	path := filepath.Join(dir, "servers.csv")
	if err := writeCSV(path, cfg.rows, cfg.hub); err != nil {
		return err
	}
	mapping := `{"class": "Server", "nameColumn": "name", "identifiers": {"serial": "serial", "fqdn": "fqdn"}, "key": "serial",
	  "ownerColumn": "owner", "environmentColumn": "env",
	  "attributes": {"hw.cpu": {"column": "cpu", "type": "number"}, "hw.memoryGb": {"column": "mem", "type": "number"}, "os": "os", "rack": "rack"},
	  "relations": [{"type": "DEPENDS_ON", "column": "depends_on", "kind": "serial"}]}`
	p, err := formats.Prepare(formats.Spec{Format: "csv", Source: "cmdb-export", Scope: "servers", Mapping: strings.NewReader(mapping)})
	if err != nil {
		return err
	}
	s, err := embedded.Open(ctx, filepath.Join(dir, "store"), graph.DefaultCatalogue())
	if err != nil {
		return err
	}
	inputs, err := importers.Files([]string{path})
	if err != nil {
		return err
	}
	e := &importers.Engine{Store: s, Policy: formats.DefaultPolicy(), BatchSize: cfg.importBatch}
	if cfg.memProfile != "" {
		e.Stage = func(stage string) {
			if stage == "applying" {
				writeHeapProfile(cfg.memProfile)
			}
		}
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	peaks := sampleRSS(100 * time.Millisecond)
	t0, c0 := time.Now(), cpu()
	run, _, err := e.Run(ctx, p.Request, importers.ReadInputs(p.Parser, inputs, nil))
	if err != nil {
		return err
	}
	took, used := time.Since(t0), cpu()-c0
	if run.Outcome != importers.OutcomeSucceeded {
		return fmt.Errorf("import outcome %s: %s", run.Outcome, run.Error)
	}
	if err := s.Close(ctx); err != nil {
		return err
	}
	anon, file := peaks()
	fmt.Printf("csv import  %d rows (%d created, %d relations) in %v (%v CPU), peak RSS %s (sampled peaks: anonymous %s, file pages %s), file %s\n",
		cfg.rows, run.Counts.Created, run.Counts.RelationsCreated, took.Round(time.Millisecond), used.Round(time.Millisecond),
		mib(status("VmHWM")), mib(anon), mib(file), fileSize(filepath.Join(dir, "store", embedded.FileName)))
	return nil
}

// writeHeapProfile writes the live heap; a failure only loses the profile.
func writeHeapProfile(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
	}
}

func writeCSV(path string, rows int, hub bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"name", "serial", "fqdn", "owner", "env", "cpu", "mem", "os", "rack", "depends_on"})
	for i := range rows {
		dep := ""
		switch {
		case i > 0 && hub:
			dep = "SN00000000"
		case i > 0:
			// An earlier row, spread by a multiplicative hash.
			dep = fmt.Sprintf("SN%08d", (uint64(i)*0x9E3779B97F4A7C15>>33)%uint64(i))
		}
		_ = w.Write([]string{fmt.Sprintf("srv-%06d", i), fmt.Sprintf("SN%08d", i), fmt.Sprintf("srv-%06d.dc%d.example.com", i, i%4),
			fmt.Sprintf("team-%d", i%40), []string{"production", "staging", "development"}[i%3], strconv.Itoa(4 << (i % 4)),
			strconv.Itoa(16 << (i % 3)), "linux", fmt.Sprintf("rack-%d", i/40), dep})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// sampleRSS samples the anonymous and file-backed resident sets every
// interval until the returned function is called, which returns their
// peaks in kB. The kernel keeps only the peak of their sum (VmHWM); the
// file pages are the store's clean mapped pages, which it may drop under
// pressure, the anonymous ones the heap.
func sampleRSS(interval time.Duration) func() (anon, file int64) {
	stop, done := make(chan struct{}), make(chan struct{})
	var anon, file int64
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			anon, file = max(anon, status("RssAnon")), max(file, status("RssFile"))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(stop)
		<-done
		return anon, file
	}
}

// status reads one field of /proc/self/status in kB ("" where there is none).
func status(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// cpu is the process's user plus system CPU time so far. The machine
// this runs on may be shared: wall time then measures the neighbours too,
// CPU time does not.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mappedRSS is the resident part of the mappings of files named name, in
// kB: clean file pages the kernel may drop under pressure, unlike heap.
func mappedRSS(name string) int64 {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	var total int64
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") {
			in = strings.HasSuffix(line, "/"+name)
			continue
		}
		if in && len(fields) >= 2 && fields[0] == "Rss:" {
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			total += n
		}
	}
	return total
}

func mib(kb int64) string {
	if kb < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d MiB", kb>>10)
}

func fileSize(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return "n/a"
	}
	return fmt.Sprintf("%d MiB", info.Size()>>20)
}
