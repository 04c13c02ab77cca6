package amtest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBuild builds (or finds) the Alertmanager the event tests run and
// checks it runs. scripts/test runs it first, so that the build is done
// before the suite's timeout starts counting. (go install leaves the
// version out of the binary; the cache path pins it.)
func TestBuild(t *testing.T) {
	bin := Binary(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	if !strings.HasPrefix(string(out), "alertmanager, version") {
		t.Fatalf("%s does not look like Alertmanager:\n%s", bin, out)
	}
}
