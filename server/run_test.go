package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ripple-cmdb/ripple/app"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// slowServer serves Ripple's handler on a real loopback listener through
// ServeDrain, with one extra route, /slow, that answers once release is
// closed (or its context ends, answering 503), after telling started.
type slowServer struct {
	addr             string
	started, release chan struct{}
	cancel           context.CancelFunc
	// done is closed when ServeDrain has returned err.
	done      chan struct{}
	err       error
	cancelled chan struct{}
}

func newSlowServer(t *testing.T, d Drain) *slowServer {
	t.Helper()
	st := embeddedStore(t)
	s := &slowServer{started: make(chan struct{}, 1), release: make(chan struct{}), done: make(chan struct{}), cancelled: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.Handle("/", NewHandler(app.New(st, formats.DefaultPolicy()), Config{}))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		s.started <- struct{}{}
		select {
		case <-s.release:
			_, _ = io.WriteString(w, "done")
		case <-r.Context().Done():
			s.cancelled <- struct{}{}
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.err = ServeDrain(ctx, ln, mux, zerolog.New(zerolog.NewTestWriter(t)), d)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
	})
	return s
}

// fresh makes a request on a new connection, as a new client would.
func (s *slowServer) fresh(path string) (int, string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := c.Get("http://" + s.addr + path)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), nil
}

// startSlow starts /slow and waits until the handler runs.
func (s *slowServer) startSlow(t *testing.T) chan slowAnswer {
	t.Helper()
	answer := make(chan slowAnswer, 1)
	go func() {
		status, body, err := s.fresh("/slow")
		answer <- slowAnswer{status, body, err}
	}()
	select {
	case <-s.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow request never started")
	}
	return answer
}

type slowAnswer struct {
	status int
	body   string
	err    error
}

// TestGracefulShutdown: once asked to stop, the server answers /readyz
// with 503 for the delay, then refuses new connections, while the request
// in flight runs to its end; then ServeDrain returns cleanly.
func TestGracefulShutdown(t *testing.T) {
	s := newSlowServer(t, Drain{Timeout: 10 * time.Second, Delay: 500 * time.Millisecond})
	if status, _, err := s.fresh("/readyz"); err != nil || status != http.StatusOK {
		t.Fatalf("ready before the stop: %d %v", status, err)
	}
	answer := s.startSlow(t)
	s.cancel() // SIGTERM

	status, body, err := s.fresh("/readyz")
	var ready struct{ Status string }
	_ = json.Unmarshal([]byte(body), &ready)
	if err != nil || status != http.StatusServiceUnavailable || ready.Status != "stopping" {
		t.Errorf("/readyz while stopping: %d %s %v", status, body, err)
	}
	time.Sleep(700 * time.Millisecond) // past the delay: the listener is closed
	if _, _, err := s.fresh("/healthz"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a new request after the delay: %v, want connection refused", err)
	}
	select {
	case <-s.done:
		t.Fatalf("ServeDrain returned %v with a request in flight", s.err)
	default:
	}
	close(s.release)
	if a := <-answer; a.err != nil || a.status != http.StatusOK || a.body != "done" {
		t.Errorf("the request in flight: %d %q %v", a.status, a.body, a.err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Errorf("ServeDrain: %v", s.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeDrain did not return once drained")
	}
}

// TestShutdownTimeout: a request still running past the timeout has its
// context cancelled (an import then records how it ended) and ServeDrain
// says so.
func TestShutdownTimeout(t *testing.T) {
	s := newSlowServer(t, Drain{Timeout: 300 * time.Millisecond})
	answer := s.startSlow(t)
	start := time.Now()
	s.cancel()
	select {
	case <-s.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the request in flight was not cancelled after the timeout")
	}
	select {
	case <-s.done:
		if s.err == nil || !strings.Contains(s.err.Error(), "cancelled") {
			t.Errorf("ServeDrain: %v, want the cancellation reported", s.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeDrain did not return")
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > cancelGrace+2*time.Second {
		t.Errorf("stopped after %s", d)
	}
	<-answer
}

// TestShutdownDrainsImport: an upload to the import endpoint still being
// sent when the stop comes is read, planned and applied to its end, while
// new connections are refused.
func TestShutdownDrainsImport(t *testing.T) {
	s := newSlowServer(t, Drain{Timeout: 10 * time.Second})
	const scan = `<?xml version="1.0"?><nmaprun args="nmap 10.0.0.1"><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/></host></nmaprun>`
	body, send := io.Pipe()
	answer := make(chan slowAnswer, 1)
	go func() {
		res, err := http.Post("http://"+s.addr+"/api/v1/imports/nmap?scope=drain", "application/xml", body)
		if err != nil {
			answer <- slowAnswer{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answer <- slowAnswer{res.StatusCode, string(b), nil}
	}()
	half := len(scan) / 2
	if _, err := io.WriteString(send, scan[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the handler is reading the upload
	s.cancel()
	time.Sleep(200 * time.Millisecond)
	if _, _, err := s.fresh("/healthz"); err == nil {
		t.Error("a new connection was accepted while draining")
	}
	if _, err := io.WriteString(send, scan[half:]); err != nil {
		t.Fatal(err)
	}
	send.Close()
	a := <-answer
	var out struct{ Run struct{ Outcome string } }
	_ = json.Unmarshal([]byte(a.body), &out)
	if a.err != nil || a.status != http.StatusOK || out.Run.Outcome != "SUCCEEDED" {
		t.Errorf("the import in flight: %d %s %v", a.status, a.body, a.err)
	}
	<-s.done
	if s.err != nil {
		t.Errorf("ServeDrain: %v", s.err)
	}
}
