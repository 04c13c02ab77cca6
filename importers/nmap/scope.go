package nmap

import (
	"sort"
	"strings"
)

// DefaultScope derives an import scope from the command line nmap records
// in <nmaprun args="...">: "nmap:" followed by the scan's targets (the
// non-option arguments), lower-cased, de-duplicated, sorted and joined by
// single spaces, e.g. "nmap:127.0.0.2 127.0.0.3". Sorting makes the scope
// independent of argument order, so the same scan run twice always lands
// in the same scope and hosts missing from the second run can be found.
//
// It returns "" when the targets cannot be determined from the command
// line: no targets, targets read from a file or drawn at random (-iL, -iR,
// --resume), or an option this parser does not know and so cannot tell
// whether it consumes the next argument. A wrong scope would mark hosts of
// some other scan stale; no scope only leaves the choice to --scope.
//
// Values of options are not targets, so "--exclude 127.0.0.3" does not
// change the scope: hosts a scan excludes count as absent from it.
//
// The option table is nmap 7.93's. nmap joins its arguments with spaces
// without quoting, so an option value containing a space (--script-args
// "a=1, b=2") cannot be told from a target; such values are rare and the
// scope stays stable across identical command lines anyway.
func DefaultScope(args string) string {
	fields := strings.Fields(args)
	if len(fields) < 2 {
		return ""
	}
	seen := map[string]bool{}
	var targets []string
	addTarget := func(t string) {
		t = strings.ToLower(t)
		if !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	rest := fields[1:] // fields[0] is the program
	for i := 0; i < len(rest); i++ {
		tok := rest[i]
		if tok == "--" {
			for _, t := range rest[i+1:] {
				addTarget(t)
			}
			break
		}
		if len(tok) < 2 || tok[0] != '-' {
			addTarget(tok) // "-" alone is an argument, not an option
			continue
		}
		consume, ok := optionTakesNext(tok)
		if !ok {
			return ""
		}
		if consume {
			i++
			if i >= len(rest) {
				return "" // nmap would have refused a missing value
			}
		}
	}
	if len(targets) == 0 {
		return ""
	}
	sort.Strings(targets)
	return "nmap:" + strings.Join(targets, " ")
}

type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg
	// noTargets marks options whose targets are not on the command line.
	noTargets
)

// shortOptions is nmap 7.93's getopt string
// "46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P::p:qRrS:s::T:Vv::". An optional
// argument (d, O, P, s, v) is only ever attached ("-sV", "-PS22"), never
// the next word.
var shortOptions = map[byte]argKind{
	'4': noArg, '6': noArg, 'A': noArg, 'b': requiredArg, 'D': requiredArg,
	'd': optionalArg, 'e': requiredArg, 'F': noArg, 'f': noArg,
	'g': requiredArg, 'h': noArg, 'I': noArg, 'i': noTargets,
	'M': requiredArg, 'm': requiredArg, 'n': noArg, 'O': optionalArg,
	'o': requiredArg, 'P': optionalArg, 'p': requiredArg, 'q': noArg,
	'R': noArg, 'r': noArg, 'S': requiredArg, 's': optionalArg,
	'T': requiredArg, 'V': noArg, 'v': optionalArg,
}

// longOptions is nmap 7.93's long option table, with "_" spelt "-" (nmap
// accepts both).
var longOptions = map[string]argKind{
	// Values.
	"datadir": requiredArg, "servicedb": requiredArg, "versiondb": requiredArg,
	"max-os-tries": requiredArg, "max-parallelism": requiredArg,
	"min-parallelism": requiredArg, "timing": requiredArg,
	"max-rtt-timeout": requiredArg, "min-rtt-timeout": requiredArg,
	"initial-rtt-timeout": requiredArg, "excludefile": requiredArg,
	"exclude": requiredArg, "max-hostgroup": requiredArg,
	"min-hostgroup": requiredArg, "scanflags": requiredArg,
	"host-timeout": requiredArg, "scan-delay": requiredArg,
	"max-scan-delay": requiredArg, "max-retries": requiredArg,
	"oA": requiredArg, "oN": requiredArg, "oM": requiredArg, "oG": requiredArg,
	"oS": requiredArg, "oH": requiredArg, "oX": requiredArg,
	"sI": requiredArg, "source-port": requiredArg, "nsock-engine": requiredArg,
	"proxies": requiredArg, "proxy": requiredArg, "data": requiredArg,
	"data-string": requiredArg, "data-length": requiredArg,
	"stylesheet": requiredArg, "mtu": requiredArg, "spoof-mac": requiredArg,
	"ttl": requiredArg, "version-intensity": requiredArg,
	"dns-servers": requiredArg, "port-ratio": requiredArg,
	"exclude-ports": requiredArg, "top-ports": requiredArg,
	"script": requiredArg, "script-args": requiredArg,
	"script-args-file": requiredArg, "script-help": requiredArg,
	"script-timeout": requiredArg, "ip-options": requiredArg,
	"min-rate": requiredArg, "max-rate": requiredArg,
	"stats-every": requiredArg, "route-dst": requiredArg,
	"debug": optionalArg,
	// Targets from elsewhere.
	"iL": noTargets, "iR": noTargets, "resume": noTargets,
	// Flags.
	"version": noArg, "verbose": noArg, "help": noArg, "iflist": noArg,
	"release-memory": noArg, "nogcc": noArg, "open": noArg,
	"defeat-rst-ratelimit": noArg, "defeat-icmp-ratelimit": noArg,
	"discovery-ignore-rst": noArg, "randomize-hosts": noArg,
	"osscan-limit": noArg, "osscan-guess": noArg, "fuzzy": noArg,
	"packet-trace": noArg, "version-trace": noArg, "send-eth": noArg,
	"send-ip": noArg, "no-stylesheet": noArg, "webxml": noArg, "rH": noArg,
	"vv": noArg, "ff": noArg, "privileged": noArg, "unprivileged": noArg,
	"append-output": noArg, "noninteractive": noArg, "thc": noArg,
	"badsum": noArg, "traceroute": noArg, "reason": noArg, "allports": noArg,
	"version-light": noArg, "version-all": noArg, "system-dns": noArg,
	"resolve-all": noArg, "unique": noArg, "log-errors": noArg,
	"deprecated-xml-osclass": noArg, "script-trace": noArg,
	"script-updatedb": noArg, "noscript": noArg, "adler32": noArg,
	"disable-arp-ping": noArg,
}

// optionTakesNext reports whether the option word tok (starting with "-")
// consumes the following word as its value; ok is false when tok is not an
// option nmap 7.93 knows, or names targets given elsewhere. It follows
// getopt_long_only, which nmap uses: "-oX" and "--oX" are both the long
// option oX, a unique prefix of a long option ("--top 10") names it, and a
// single-dash word that is no long option is a cluster of short options.
func optionTakesNext(tok string) (consume, ok bool) {
	double := strings.HasPrefix(tok, "--")
	name := strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "-")
	inline := false
	if i := strings.IndexByte(name, '='); i >= 0 {
		name, inline = name[:i], true
	}
	if name == "" {
		return false, false
	}
	// getopt only tries a single-dash single letter as a long option when
	// it is not a short one.
	if double || len(name) > 1 || !isShort(name[0]) {
		if kind, found := longOption(name); found {
			switch kind {
			case noTargets:
				return false, false
			case requiredArg:
				return !inline, true
			default:
				return false, true
			}
		}
		if double {
			return false, false
		}
	}
	if inline {
		name = strings.TrimPrefix(tok, "-") // "-p=22": short p, value "=22"
	}
	for i := 0; i < len(name); i++ {
		kind, known := shortOptions[name[i]]
		if !known {
			return false, false
		}
		switch kind {
		case noTargets:
			return false, false
		case requiredArg:
			return i == len(name)-1, true // "-p 22" or "-p22"
		case optionalArg:
			return false, true // the rest of the word is the value
		}
	}
	return false, true
}

func isShort(c byte) bool {
	_, ok := shortOptions[c]
	return ok
}

// longOption looks name up exactly, then as an unambiguous prefix.
// Prefixes that match several options are accepted when those options
// agree on taking a value, as getopt does for aliases.
func longOption(name string) (argKind, bool) {
	name = strings.ReplaceAll(name, "_", "-")
	if kind, ok := longOptions[name]; ok {
		return kind, true
	}
	var kind argKind
	found := false
	for opt, k := range longOptions {
		if !strings.HasPrefix(opt, name) {
			continue
		}
		if found && k != kind {
			return 0, false
		}
		kind, found = k, true
	}
	return kind, found
}
