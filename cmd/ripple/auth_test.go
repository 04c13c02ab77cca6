package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Authentication off is for loopback only; anywhere else serve refuses to
// start and says how to configure it, unless --insecure-no-auth.
func TestServeRefusesOpenNonLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:8080", ":8080", "10.1.2.3:8080", "[::]:8080"} {
		cli, _ := parse(t, "serve", "--listen", listen, "--data-dir", t.TempDir())
		err := cli.Serve.Run(context.Background(), zerolog.Nop())
		if err == nil || !strings.Contains(err.Error(), "--auth token") || !strings.Contains(err.Error(), "ripple token create") ||
			!strings.Contains(err.Error(), "--insecure-no-auth") {
			t.Errorf("serve --listen %s without auth: %v", listen, err)
		}
		if err := (AuthFlags{InsecureNoAuth: true}).check(listen); err != nil {
			t.Errorf("--insecure-no-auth on %s: %v", listen, err)
		}
		if err := (AuthFlags{Auth: "token"}).check(listen); err != nil {
			t.Errorf("--auth token on %s: %v", listen, err)
		}
	}
	for _, listen := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		if err := (AuthFlags{}).check(listen); err != nil {
			t.Errorf("loopback %s: %v", listen, err)
		}
	}
	for _, f := range []AuthFlags{
		{Auth: "none,token"}, {Auth: "ldap"}, {Auth: "oidc"}, {Auth: "oidc", OIDCIssuer: "https://idp.example"},
		{TLSCert: "cert.pem"}, {CORSOrigins: []string{"not-an-origin/"}},
	} {
		if err := f.check("127.0.0.1:8080"); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

// ripple token create prints the secret last; serve --auth token accepts
// it, and import --server --token sends it; the role decides.
func TestTokensThroughServe(t *testing.T) {
	dir := t.TempDir()
	create := func(name, role string) string {
		t.Helper()
		cli, _ := parse(t, "token", "create", "--data-dir", dir, "--name", name, "--role", role)
		var out bytes.Buffer
		if err := cli.Token.Create.run(context.Background(), zerolog.Nop(), &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-1], "ripple_") {
			t.Fatalf("token create output:\n%s", out.String())
		}
		return lines[len(lines)-1]
	}
	importer := create("scanner-1", "importer")
	viewer := create("bob", "viewer")
	if cli, _ := parse(t, "token", "create", "--data-dir", dir, "--name", "x", "--role", "root"); cli.Token.Create.run(context.Background(), zerolog.Nop(), &bytes.Buffer{}) == nil {
		t.Error("unknown role accepted")
	}

	addr := startServe(t, "--data-dir", dir, "--auth", "token")
	url := "http://" + addr
	out, err := runImport(t, t.TempDir(), "nmap", nmapFixture("scan-3hosts.xml"), "--server", url, "--token", importer)
	if err != nil || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("import with the importer's token: %v\n%s", err, out)
	}
	for token, want := range map[string]string{"": "401", viewer: "403", "ripple_forged": "401"} {
		_, err := runImport(t, t.TempDir(), "nmap", nmapFixture("scan-3hosts.xml"), "--server", url, "--token", token)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("import with token %q: %v, want %s", token, err, want)
		}
	}
}

// --tls-cert/--tls-key serve HTTPS.
func TestTLSListener(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := (AuthFlags{TLSCert: certFile, TLSKey: keyFile}).listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	pool := x509.NewCertPool()
	pool.AddCert(must(x509.ParseCertificate(der)))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil || res.StatusCode != http.StatusTeapot || res.TLS == nil {
		t.Fatalf("https: %v %v", res, err)
	}
	res.Body.Close()
	if _, err := (AuthFlags{TLSCert: keyFile, TLSKey: certFile}).listen("127.0.0.1:0"); err == nil {
		t.Error("swapped cert and key accepted")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
