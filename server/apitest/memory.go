package apitest

import (
	"io"
	"runtime"
	"sync"
	"time"
)

// repeatByte is an endless reader of one byte: large inputs are generated
// as they are sent, never held.
func repeatByte(c byte) io.Reader { return byteReader(c) }

type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// watchHeap samples the heap in use until the returned function is
// called, which returns how far it rose above where it started.
func watchHeap() (stop func() uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var (
		mu   sync.Mutex
		peak = base
		done = make(chan struct{})
		over = make(chan struct{})
	)
	go func() {
		defer close(over)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-over
		mu.Lock()
		defer mu.Unlock()
		return peak - base
	}
}
