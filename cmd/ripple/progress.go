package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// progressBar draws the reading progress of an import on a terminal, then
// the stage the run is in. It redraws at most ten times a second.
type progressBar struct {
	w     io.Writer
	on    bool
	total int64

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, mode string, total int64) *progressBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			on = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
		}
	}
	return &progressBar{w: w, on: on, total: total}
}

const barWidth = 30

func (p *progressBar) read(n int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || n == p.total {
		p.last = now
		frac := 1.0
		if p.total > 0 {
			frac = min(float64(n)/float64(p.total), 1)
		}
		filled := int(frac * barWidth)
		fmt.Fprintf(p.w, "\rreading  [%s%s] %3.0f%%  %s / %s ", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
			frac*100, bytesHuman(n), bytesHuman(p.total))
		p.drawn = true
	}
}

func (p *progressBar) stage(s string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%-80s\r%s…", "", s)
	p.drawn = true
}

func (p *progressBar) done() {
	if !p.on || !p.drawn {
		return
	}
	fmt.Fprintf(p.w, "\r%-80s\r", "")
}

func bytesHuman(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
