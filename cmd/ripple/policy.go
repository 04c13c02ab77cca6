package main

import (
	"fmt"
	"os"

	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// PolicyFlags name the import policy where imports run: `ripple serve`
// (its GraphQL and HTTP imports) and `ripple import` (into the store, or
// sent with the upload to --server, where it applies to that run only).
type PolicyFlags struct {
	Policy string `name:"policy" type:"existingfile" env:"RIPPLE_IMPORT_POLICY" help:"Identification, precedence and retirement policy of imports (JSON) over the defaults."`
}

// load reads the policy file over the defaults, or returns the defaults.
func (f PolicyFlags) load() (importers.Policy, error) {
	if f.Policy == "" {
		return formats.DefaultPolicy(), nil
	}
	file, err := os.Open(f.Policy)
	if err != nil {
		return importers.Policy{}, fmt.Errorf("--policy: %w", err)
	}
	defer file.Close()
	p, err := formats.LoadPolicy(file)
	if err != nil {
		return importers.Policy{}, fmt.Errorf("--policy %s: %w", f.Policy, err)
	}
	return p, nil
}
