package embedded

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/store/storetest"
)

// BenchmarkOpen measures opening a store of RIPPLE_BENCH_CIS CIs (default
// 20,000) and five relations per CI: the time Open takes and the live heap
// and resident set it leaves. Set RIPPLE_BENCH_DIR to keep the generated
// file between runs (it is built on first use, which at 1M takes a while).
func BenchmarkOpen(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("RIPPLE_BENCH_CIS")); err == nil && v > 0 {
		n = v
	}
	dir := os.Getenv("RIPPLE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	dir = filepath.Join(dir, "open-"+strconv.Itoa(n))
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		s, err := Open(ctx, dir, graph.DefaultCatalogue())
		if err != nil {
			b.Fatal(err)
		}
		storetest.BuildRandomGraph(b, s, n, 5*n, 42)
		if err := s.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	var took, cpu time.Duration
	var heap uint64
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		s, err := Open(ctx, dir, graph.DefaultCatalogue())
		if err != nil {
			b.Fatal(err)
		}
		took, cpu = time.Since(t0), cpuTime()-c0
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc
		b.StopTimer()
		if err := s.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	b.Logf("%d CIs, %d relations: open %v (%v CPU), live heap %d MiB after open, peak RSS %s", n, 5*n, took, cpu, heap>>20, procStatus("VmHWM"))
}

// procStatus reads one field of /proc/self/status ("" where there is none).
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
