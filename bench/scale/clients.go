package main

import (
	"context"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"
)

// clientsRun is what n clients calling in a loop for a window did.
type clientsRun struct {
	perSecond float64
	latencies []time.Duration // of the calls that succeeded
	failed    int
	firstErr  error
}

// runClients has n clients call call back to back until window is over.
// A failed call is counted and kept, not fatal: under load, running out of
// memory or time is the finding.
func runClients(ctx context.Context, n int, window time.Duration, call func(ctx context.Context, client int) error) clientsRun {
	var mu sync.Mutex
	var r clientsRun
	begin := time.Now()
	deadline := begin.Add(window)
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := call(ctx, c)
				mu.Lock()
				if err != nil {
					r.failed++
					if r.firstErr == nil {
						r.firstErr = err
					}
				} else {
					r.latencies = append(r.latencies, time.Since(t0))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.perSecond = float64(len(r.latencies)) / time.Since(begin).Seconds()
	return r
}

// p50p95 formats the run's latency percentiles in ms ("-" without any).
func (r clientsRun) p50p95() (string, string) {
	if len(r.latencies) == 0 {
		return "-", "-"
	}
	return ms(pct(r.latencies, 50)), ms(pct(r.latencies, 95))
}

// failures are the first failure of each run, printed under its table.
type failures []string

func (f *failures) add(label string, r clientsRun) {
	if r.firstErr != nil {
		*f = append(*f, fmt.Sprintf("%s: %v", label, r.firstErr))
	}
}

// flush writes the table, then the failures.
func (f failures) flush(w *tabwriter.Writer) error {
	if err := w.Flush(); err != nil {
		return err
	}
	for _, e := range f {
		fmt.Println("  first failure:", e)
	}
	return nil
}
