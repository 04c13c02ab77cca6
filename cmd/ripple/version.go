package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version, the module version when built with go install,
// and the Go toolchain.
func (VersionCmd) Run() error {
	fmt.Printf("ripple %s (%s %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// buildVersion is the version set at build time, else the module version
// when built with go install, else "dev" (ripple version, build_info).
func buildVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return v
}
