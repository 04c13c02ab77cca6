// Package terraform imports Terraform state (format version 4, as in
// terraform.tfstate or the output of `terraform state pull`): every
// instance of every managed resource becomes an item, of the class its
// type says (classes: instances are VirtualMachines, managed databases
// Databases, load balancers LoadBalancers, volumes StorageVolumes, managed
// Kubernetes KubernetesClusters, anything else a CloudResource), with its
// owner and environment from its "owner" and "environment"/"env" tags (or
// Google labels), and the dependencies Terraform recorded become
// DEPENDS_ON links between instances.
//
// The state is streamed: top-level keys are read in order and the elements
// of "resources" are decoded one at a time, so memory grows with the
// largest resource and with the (small) address lists kept to resolve
// dependencies, not with the file. Outputs are read past without being kept:
// they routinely hold secrets in clear text.
//
// Identifiers: "tf-address" is lineage + "/" + the instance address, stable
// for as long as the resource stays at that address in that state;
// "cloud-id" is the provider's own id (ARN, GCP self_link, Azure resource
// id, else "<type>:<id>"), which is what other sources and other states
// know the same resource by. Virtual machines also carry what other
// sources know the machine by: "cloud-instance" (what a Kubernetes node's
// providerID names) and their addresses and host names ("ip", "hostname",
// "fqdn", as nmap reports hosts), so that the node and the scanned host
// meet the instance.
package terraform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Identifier kinds the items carry.
const (
	// KindAddress is the identifier kind of lineage + "/" + address.
	KindAddress = "tf-address"
	// KindCloudID is the identifier kind of the provider-side id.
	KindCloudID = "cloud-id"
)

// StateVersion is the only state format version the parser reads; it has
// been Terraform's format since 0.12.
const StateVersion = 4

// ScopePrefix prefixes the lineage in the scope the parser declares, so a
// Terraform scope never collides with another source's.
const ScopePrefix = "tf:"

// maxAddressLen bounds a resource instance address. Terraform has no limit,
// but an address this long can only come from a corrupt file, and would
// not fit the CI's attributes anyway.
const maxAddressLen = 4 << 10

// maxLineageLen bounds the lineage, which Terraform makes a UUID; it is
// part of every identifier, so it must stay short.
const maxLineageLen = 128

// Stats counts what a parse read and what it left out, for a caller that
// wants to report more than the items and links.
type Stats struct {
	Resources     int // managed resources
	Instances     int // items emitted, one per current instance
	Links         int // links emitted
	DataResources int // data-mode resources, skipped
	// Deposed counts deposed objects (create_before_destroy leftovers
	// awaiting destruction), skipped: they share their address with the
	// current object.
	Deposed int
	// DataDependencies counts dependencies on data resources, skipped.
	DataDependencies int
	// UnresolvedDependencies counts dependencies naming a managed resource
	// with no instance in the state; they are skipped, not errors, because
	// Terraform keeps dependencies on resources that no longer exist until
	// the next apply rewrites the instance.
	UnresolvedDependencies int
	// Trimmed counts instances whose tf.attributes lost values to the size
	// and depth limits (redacted sensitive values are not counted).
	Trimmed int
	// SharedCloudIDs counts instances left without a cloud-id because an
	// earlier instance in the state has the same one (aws_sns_topic_policy
	// reports its topic's ARN): one identifier must name one CI.
	SharedCloudIDs int
	// SharedHostIdentifiers counts addresses and host names of virtual
	// machines left out because an earlier machine in the state has them
	// (the same private range in two networks).
	SharedHostIdentifiers int
}

// Parser reads Terraform state files. It holds no state between calls and
// is safe for concurrent use.
type Parser struct{}

// New returns the Terraform state parser.
func New() feed.Parser { return &Parser{} }

// Parse implements feed.Parser.
func (p *Parser) Parse(ctx context.Context, file string, r io.Reader, emit feed.Emitter) error {
	_, err := p.ParseStats(ctx, file, r, emit)
	return err
}

// ParseStats is Parse that also returns what it counted. The stats are
// meaningful only when the error is nil.
func (p *Parser) ParseStats(ctx context.Context, file string, r io.Reader, emit feed.Emitter) (Stats, error) {
	lr := feed.NewLineReader(r)
	dec := json.NewDecoder(lr)
	// Numbers stay text while streaming: a number float64 cannot hold in
	// a skipped value (cty numbers are arbitrary precision) must not fail
	// the import.
	dec.UseNumber()
	st := &state{
		ctx:      ctx,
		file:     file,
		emit:     emit,
		lr:       lr,
		dec:      dec,
		byConfig: map[string][]string{},
		seen:     map[string]bool{},
		taken:    map[graph.Identifier]bool{},
	}
	err := st.parse()
	return st.stats, err
}

// dependency is one entry of an instance's "dependencies", kept until the
// end of the file because it may name a resource written later.
type dependency struct {
	from string // instance address
	to   string // resource address as written
	at   int64  // offset of the entry, for the link's At
}

// state is one parse in progress.
type state struct {
	ctx  context.Context
	file string
	emit feed.Emitter
	lr   *feed.LineReader
	dec  *json.Decoder

	sawVersion bool
	lineage    string
	scoped     bool                      // Scope has been emitted
	pending    []feed.Item               // items read before version and lineage
	byConfig   map[string][]string       // config address -> instance addresses, file order
	seen       map[string]bool           // instance addresses, to reject duplicates
	taken      map[graph.Identifier]bool // identifiers an earlier instance has
	deps       []dependency
	stats      Stats
}

// errorf builds an *feed.InputError at a byte offset.
func (s *state) errorf(offset int64, field, format string, args ...any) error {
	e := feed.Inputf(s.lr.At(offset), field, format, args...)
	e.File = s.file
	return e
}

// readErr turns an error of the streaming decoder into an InputError that
// points at the offending byte. encoding/json's Decoder reports syntax
// error offsets relative to an internal buffer position, so the position
// is recomputed: the bytes the decoder holds from its current offset on
// contain the bad value, and json.Unmarshal of them reports an exact
// offset.
func (s *state) readErr(err error, field string) error {
	off := s.dec.InputOffset()
	rest, _ := io.ReadAll(s.dec.Buffered())
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errorf(off+int64(len(rest)), field, "unexpected end of file: the state is truncated")
	}
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return s.errorf(off, field, "%v", err)
		}
		// A read error of the underlying reader, not the file's fault.
		return fmt.Errorf("reading terraform state: %w", err)
	}
	var probe json.RawMessage
	var pe *json.SyntaxError
	if errors.As(json.Unmarshal(rest, &probe), &pe) && pe.Offset > 0 &&
		!strings.Contains(pe.Error(), "after top-level value") &&
		!strings.Contains(pe.Error(), "unexpected end") {
		// The decoder stopped at the start of a bad value: the probe
		// finds the bad byte inside it.
		off += pe.Offset - 1
	}
	// Otherwise the decoder stopped at the bad byte itself (a missing
	// comma or colon between tokens).
	return s.errorf(off, field, "invalid JSON: %s", se.Error())
}

// next reads one token of the top-level stream.
func (s *state) next(field string) (json.Token, error) {
	t, err := s.dec.Token()
	if err != nil {
		return nil, s.readErr(err, field)
	}
	return t, nil
}

// value reads the next value of the top-level stream whole, with the
// offset where it starts.
func (s *state) value(field string) (json.RawMessage, int64, error) {
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, 0, s.readErr(err, field)
	}
	return raw, s.dec.InputOffset() - int64(len(raw)), nil
}

// peekOffset is the offset of the next value: the decoder's offset is
// before any whitespace, colon or comma that precedes it.
func (s *state) peekOffset() int64 {
	s.dec.More() // fills the buffer and skips whitespace; the result does not matter
	off := s.dec.InputOffset()
	rest, _ := io.ReadAll(s.dec.Buffered())
	for _, c := range rest {
		switch c {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

func (s *state) parse() error {
	start := s.peekOffset()
	t, err := s.dec.Token()
	if errors.Is(err, io.EOF) {
		return s.errorf(0, "", "empty file: not a Terraform state")
	}
	if err != nil {
		return s.readErr(err, "")
	}
	if t != json.Delim('{') {
		return s.errorf(start, "", "a Terraform state must be a JSON object")
	}
	for s.dec.More() {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		t, err := s.next("")
		if err != nil {
			return err
		}
		key, _ := t.(string)
		switch key {
		case "version":
			if err := s.version(); err != nil {
				return err
			}
		case "lineage":
			if err := s.readLineage(); err != nil {
				return err
			}
		case "resources":
			if err := s.resources(); err != nil {
				return err
			}
		default:
			// outputs, check_results, serial...: read past without
			// keeping them. Outputs hold secrets in clear text.
			if err := s.skip(key); err != nil {
				return err
			}
		}
	}
	if _, err := s.next(""); err != nil { // the closing brace
		return err
	}
	end := s.peekOffset()
	if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return s.readErr(err, "")
		}
		return s.errorf(end, "", "unexpected data after the state object")
	}
	if !s.sawVersion {
		return s.errorf(end, "version", "missing: not a Terraform state")
	}
	if s.lineage == "" {
		return s.errorf(end, "lineage", "missing: a state without lineage cannot be told apart from other states")
	}
	if err := s.flush(); err != nil {
		return err
	}
	return s.links()
}

// skip reads past one value without keeping it, token by token, so that a
// large value (outputs) costs no memory.
func (s *state) skip(field string) error {
	depth := 0
	for {
		t, err := s.next(field)
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (s *state) version() error {
	raw, at, err := s.value("version")
	if err != nil {
		return err
	}
	if raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' || raw[0] == 'n' {
		return s.errorf(at, "version", "must be a number, not %s", feed.JSONKind(raw))
	}
	if v, err := strconv.ParseFloat(string(raw), 64); err != nil || v != StateVersion {
		return s.errorf(at, "version", "unsupported state format version %s (this importer reads version %d, written by Terraform 0.12 and later)", raw, StateVersion)
	}
	s.sawVersion = true
	return s.flush()
}

func (s *state) readLineage() error {
	raw, at, err := s.value("lineage")
	if err != nil {
		return err
	}
	var l string
	if json.Unmarshal(raw, &l) != nil {
		return s.errorf(at, "lineage", "must be a string, not %s", feed.JSONKind(raw))
	}
	switch {
	case l == "":
		return s.errorf(at, "lineage", "must not be empty")
	case len(l) > maxLineageLen:
		return s.errorf(at, "lineage", "is longer than %d bytes", maxLineageLen)
	case strings.IndexFunc(l, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return s.errorf(at, "lineage", "must not contain spaces or control characters")
	case s.lineage != "" && s.lineage != l:
		return s.errorf(at, "lineage", "appears twice with different values")
	}
	s.lineage = l
	if !s.scoped {
		s.scoped = true
		if err := s.emit.Scope(ScopePrefix + l); err != nil {
			return err
		}
	}
	return s.flush()
}

// flush emits the items held back while the version or the lineage was
// still unknown (a state whose resources precede them; Terraform never
// writes one, but the keys of a JSON object have no order).
func (s *state) flush() error {
	if !s.sawVersion || s.lineage == "" {
		return nil
	}
	items := s.pending
	s.pending = nil
	for i := range items {
		items[i].Identifiers = s.identifiers(items[i].Identifiers)
		if err := s.emit.Item(items[i]); err != nil {
			return err
		}
	}
	return nil
}

// identifiers completes an item's identifiers once the lineage is known:
// the first is the address placeholder.
func (s *state) identifiers(ids []graph.Identifier) []graph.Identifier {
	ids[0] = graph.Identifier{Kind: KindAddress, Value: s.addressID(ids[0].Value)}
	return ids
}

// addressID is the tf-address identifier value of an instance address.
// Addresses too long for an identifier value are replaced by their hash,
// which is as stable and as unique; tf.address keeps the readable form.
func (s *state) addressID(address string) string {
	v := s.lineage + "/" + address
	if len(v) <= graph.MaxIdentifierValue {
		return v
	}
	sum := sha256.Sum256([]byte(address))
	return s.lineage + "/sha256:" + hex.EncodeToString(sum[:])
}

func (s *state) resources() error {
	at := s.peekOffset()
	t, err := s.next("resources")
	if err != nil {
		return err
	}
	if t == nil { // null: no resources
		return nil
	}
	if t != json.Delim('[') {
		if d, ok := t.(json.Delim); ok && d == '{' {
			return s.errorf(at, "resources", "must be an array, not an object")
		}
		return s.errorf(at, "resources", "must be an array")
	}
	for i := 0; s.dec.More(); i++ {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		field := fmt.Sprintf("resources[%d]", i)
		raw, start, err := s.value(field)
		if err != nil {
			return err
		}
		if err := s.resource(field, raw, start); err != nil {
			return err
		}
	}
	_, err = s.next("resources")
	return err
}

// resource reads one element of "resources".
func (s *state) resource(field string, raw json.RawMessage, start int64) error {
	if raw[0] != '{' {
		return s.errorf(start, field, "a resource must be an object, not %s", feed.JSONKind(raw))
	}
	var (
		mode, typ, name, module, provider string
		instances                         json.RawMessage
		instancesAt                       int64
	)
	err := members(raw, start, func(key string, v json.RawMessage, at int64) error {
		var dst *string
		switch key {
		case "mode":
			dst = &mode
		case "type":
			dst = &typ
		case "name":
			dst = &name
		case "module":
			dst = &module
		case "provider":
			dst = &provider
		case "instances":
			instances, instancesAt = v, at
			return nil
		default:
			return nil
		}
		if json.Unmarshal(v, dst) != nil {
			return s.errorf(at, field+"."+key, "must be a string, not %s", feed.JSONKind(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch mode {
	case "data":
		s.stats.DataResources++
		return nil
	case "managed", "":
		// Terraform always writes the mode; a hand-made state that omits
		// it means a managed resource.
	default:
		return s.errorf(start, field+".mode", "unknown mode %q (want managed or data)", mode)
	}
	if typ == "" {
		return s.errorf(start, field+".type", "missing")
	}
	if !validIdent(typ) {
		return s.errorf(start, field+".type", "%q is not a resource type", graph.Truncate(typ, 64))
	}
	if name == "" {
		return s.errorf(start, field+".name", "missing")
	}
	if !validIdent(name) {
		return s.errorf(start, field+".name", "%q is not a resource name", graph.Truncate(name, 64))
	}
	if module != "" && (!strings.HasPrefix(module, "module.") || strings.IndexFunc(module, unicode.IsControl) >= 0) {
		return s.errorf(start, field+".module", "%q is not a module address", graph.Truncate(module, 64))
	}
	s.stats.Resources++
	res := resource{module: module, typ: typ, name: name,
		provider: providerSource(provider), config: configAddress(module, typ, name)}
	if instances == nil || string(instances) == "null" {
		return nil
	}
	if instances[0] != '[' {
		return s.errorf(instancesAt, field+".instances", "must be an array, not %s", feed.JSONKind(instances))
	}
	return elements(instances, instancesAt, func(j int, v json.RawMessage, at int64) error {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		return s.instance(res, fmt.Sprintf("%s.instances[%d]", field, j), v, at)
	})
}

// resource is what an instance needs to know of its resource.
type resource struct {
	module, typ, name string
	provider, config  string
}

// instance reads one instance of a managed resource and emits its item.
func (s *state) instance(res resource, field string, raw json.RawMessage, start int64) error {
	if raw[0] != '{' {
		return s.errorf(start, field, "an instance must be an object, not %s", feed.JSONKind(raw))
	}
	var (
		key       any
		attrs     map[string]any
		sensitive json.RawMessage
		sensAt    int64
		deps      []dependency
		tainted   bool
		deposed   bool
	)
	err := members(raw, start, func(k string, v json.RawMessage, at int64) error {
		f := field + "." + k
		switch k {
		case "index_key":
			var err error
			if key, err = indexKey(v); err != nil {
				return s.errorf(at, f, "%v", err)
			}
		case "attributes":
			if string(v) == "null" {
				return nil
			}
			if v[0] != '{' {
				return s.errorf(at, f, "must be an object, not %s", feed.JSONKind(v))
			}
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber() // see clean
			if err := d.Decode(&attrs); err != nil {
				return s.errorf(at, f, "%v", err)
			}
		case "sensitive_attributes":
			sensitive, sensAt = v, at
		case "dependencies":
			if string(v) == "null" {
				return nil
			}
			if v[0] != '[' {
				return s.errorf(at, f, "must be an array of resource addresses, not %s", feed.JSONKind(v))
			}
			return elements(v, at, func(i int, e json.RawMessage, eat int64) error {
				var d string
				if json.Unmarshal(e, &d) != nil || d == "" {
					return s.errorf(eat, fmt.Sprintf("%s[%d]", f, i), "must be a resource address string, not %s", feed.JSONKind(e))
				}
				deps = append(deps, dependency{to: d, at: eat})
				return nil
			})
		case "status":
			var st string
			if json.Unmarshal(v, &st) != nil && string(v) != "null" {
				return s.errorf(at, f, "must be a string, not %s", feed.JSONKind(v))
			}
			tainted = st == "tainted"
		case "deposed":
			var d string
			if json.Unmarshal(v, &d) != nil && string(v) != "null" {
				return s.errorf(at, f, "must be a string, not %s", feed.JSONKind(v))
			}
			deposed = d != ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	if deposed {
		// The object a create_before_destroy replacement left behind; it is
		// about to be destroyed and has the current object's address.
		s.stats.Deposed++
		return nil
	}
	address := instanceAddress(res.module, res.typ, res.name, key)
	if len(address) > maxAddressLen {
		return s.errorf(start, field, "resource address is longer than %d bytes", maxAddressLen)
	}
	if s.seen[address] {
		return s.errorf(start, field, "%s appears twice in the state", address)
	}
	s.seen[address] = true
	s.byConfig[res.config] = append(s.byConfig[res.config], address)
	for _, d := range deps {
		d.from = address
		s.deps = append(s.deps, d)
	}

	if sensitive != nil {
		if attrs, err = s.redact(res.typ, attrs, field+".sensitive_attributes", sensitive, sensAt); err != nil {
			return err
		}
	}
	item := feed.Item{
		Class: classOf(res.typ),
		Name:  itemName(attrs, address),
		// The first identifier holds the bare address until the lineage
		// is known (see flush); the lineage is usually known already.
		Identifiers: []graph.Identifier{{Kind: KindAddress, Value: address}},
		Attributes: map[string]any{
			"tf.type":    res.typ,
			"tf.address": address,
		},
		At: s.lr.At(start),
	}
	if res.provider != "" {
		item.Attributes["tf.provider"] = res.provider
	}
	if res.module != "" {
		item.Attributes["tf.module"] = res.module
	}
	if tainted {
		item.Attributes["tf.status"] = "tainted"
	}
	if id := cloudID(res.typ, attrs); id != "" {
		if cid := (graph.Identifier{Kind: KindCloudID, Value: id}); s.taken[cid] {
			s.stats.SharedCloudIDs++
		} else {
			s.taken[cid] = true
			item.Identifiers = append(item.Identifiers, cid)
		}
	}
	for _, id := range machineIdentifiers(res.typ, attrs) {
		if s.taken[id] || len(item.Identifiers) == graph.MaxIdentifiers {
			s.stats.SharedHostIdentifiers++
			continue
		}
		s.taken[id] = true
		item.Identifiers = append(item.Identifiers, id)
	}
	item.Owner, item.Environment = ownerAndEnvironment(attrs)
	if copied := s.copyAttributes(attrs); len(copied) > 0 {
		item.Attributes["tf.attributes"] = copied
	}
	s.stats.Instances++
	if !s.sawVersion || s.lineage == "" {
		s.pending = append(s.pending, item)
		return nil
	}
	item.Identifiers = s.identifiers(item.Identifiers)
	return s.emit.Item(item)
}

// redact applies the instance's "sensitive_attributes" paths to attrs. A
// nil result means the whole object is sensitive.
func (s *state) redact(typ string, attrs map[string]any, field string, raw json.RawMessage, at int64) (map[string]any, error) {
	if string(raw) == "null" {
		return attrs, nil
	}
	if raw[0] != '[' {
		return nil, s.errorf(at, field, "must be an array of attribute paths, not %s", feed.JSONKind(raw))
	}
	var root any = attrs
	err := elements(raw, at, func(i int, p json.RawMessage, pat int64) error {
		if p[0] != '[' {
			return s.errorf(pat, fmt.Sprintf("%s[%d]", field, i), "must be an attribute path (an array of steps), not %s", feed.JSONKind(p))
		}
		var steps []step
		if err := elements(p, pat, func(_ int, st json.RawMessage, _ int64) error {
			steps = append(steps, parseStep(st))
			return nil
		}); err != nil {
			return err
		}
		root = redact(root, steps)
		if typ == "terraform_data" && len(steps) > 0 && steps[0] == (step{kind: stepAttr, name: "input"}) {
			// terraform_data's output is its input, copied by the
			// provider, but Terraform records the sensitivity on the input
			// only (seen in the real fixture): hide the copy too.
			steps[0].name = "output"
			root = redact(root, steps)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m, _ := root.(map[string]any)
	return m, nil
}

// copyAttributes builds "tf.attributes" from the redacted attributes.
func (s *state) copyAttributes(attrs map[string]any) map[string]any {
	if len(attrs) == 0 {
		return nil
	}
	trimmed := false
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if k == "" {
			trimmed = true
			continue
		}
		if cv, ok := clean(v, topDepth, &trimmed); ok {
			out[k] = cv
		}
	}
	out = fit(out, &trimmed)
	if trimmed {
		s.stats.Trimmed++
	}
	return out
}

// links emits one DEPENDS_ON link per dependency and instance of the
// resource depended on, in file order, now that every address is known.
func (s *state) links() error {
	done := map[[2]string]bool{}
	for _, d := range s.deps {
		if isDataAddress(d.to) {
			s.stats.DataDependencies++
			continue
		}
		targets := s.byConfig[stripKeys(d.to)]
		if strings.Contains(d.to, "[") && s.seen[d.to] {
			// An instance address rather than a resource address;
			// Terraform does not write these, but it names one instance.
			targets = []string{d.to}
		}
		if len(targets) == 0 {
			s.stats.UnresolvedDependencies++
			continue
		}
		for _, to := range targets {
			k := [2]string{d.from, to}
			if to == d.from || done[k] {
				continue
			}
			done[k] = true
			if err := s.ctx.Err(); err != nil {
				return err
			}
			err := s.emit.Link(feed.Link{
				From: graph.Identifier{Kind: KindAddress, Value: s.addressID(d.from)},
				Type: graph.RelDependsOn,
				To:   graph.Identifier{Kind: KindAddress, Value: s.addressID(to)},
				At:   s.lr.At(d.at),
			})
			if err != nil {
				return err
			}
			s.stats.Links++
		}
	}
	return nil
}

// indexKey reads an instance's index_key: a number for count, a string for
// for_each.
func indexKey(v json.RawMessage) (any, error) {
	switch v[0] {
	case '"':
		var k string
		if err := json.Unmarshal(v, &k); err != nil {
			return nil, err
		}
		return k, nil
	case 'n':
		return nil, nil
	case '{', '[', 't', 'f':
		return nil, fmt.Errorf("must be a number (count) or a string (for_each), not %s", feed.JSONKind(v))
	}
	if n, err := strconv.Atoi(string(v)); err == nil {
		return n, nil
	}
	// 1e2 or 3.0 are valid JSON for an integer.
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != float64(int(f)) || f > 1<<53 || f < -(1<<53) {
		return nil, fmt.Errorf("count index %s is not an integer", v)
	}
	return int(f), nil
}

// cloudID picks the identifier the provider knows the resource by. The
// type qualifies plain ids because different resource types share them
// (aws_s3_bucket and aws_s3_bucket_policy both have the bucket name as
// id); ARNs, self links and Azure ids are globally unique as they are.
func cloudID(typ string, attrs map[string]any) string {
	if attrs == nil {
		return ""
	}
	id := ""
	if v := stringAttr(attrs, "arn"); v != "" {
		id = v
	} else if v := stringAttr(attrs, "self_link"); v != "" {
		id = v
	} else if v := stringAttr(attrs, "id"); v != "" {
		if len(v) >= len("/subscriptions/") && strings.EqualFold(v[:len("/subscriptions/")], "/subscriptions/") {
			id = v
		} else if idScopedByCloud(typ) {
			id = typ + ":" + v
		}
	}
	if len(id) > graph.MaxIdentifierValue {
		return "" // a cloud-id cut short would name the wrong thing
	}
	return id
}

// cloudPrefixes are the resource-type prefixes of providers whose plain ids
// name one resource in the provider's world (an EC2 instance id, a GCE
// disk id), so that, qualified by type, they identify it across states.
// Other providers' ids are local inventions ("none" for every
// random_password): those resources are identified by address only.
var cloudPrefixes = []string{"aws_", "google_", "azurerm_", "azuread_", "oci_", "alicloud_", "ibm_",
	"digitalocean_", "hcloud_", "linode_", "vsphere_", "openstack_", "cloudflare_"}

func idScopedByCloud(typ string) bool {
	if typ == "terraform_data" { // ids are random UUIDs
		return true
	}
	for _, p := range cloudPrefixes {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

// stringAttr returns a string attribute trimmed, "" when it is absent,
// not a string or redacted.
func stringAttr(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return strings.TrimSpace(v)
}

// itemName is the item's display name: the resource's own name attribute,
// else its Name tag (AWS), else its address.
func itemName(attrs map[string]any, address string) string {
	if attrs != nil {
		if n := validName(stringAttr(attrs, "name")); n != "" {
			return n
		}
		if tags, ok := attrs["tags"].(map[string]any); ok {
			if n := validName(stringAttr(tags, "Name")); n != "" {
				return n
			}
		}
	}
	return shorten(address, graph.MaxNameLen)
}

// validName returns n when the graph accepts it as a CI name, "" when not,
// so that an odd name attribute falls back to the address instead of
// failing the import.
func validName(n string) string {
	if n == "" || utf8.RuneCountInString(n) > graph.MaxNameLen || strings.IndexFunc(n, unicode.IsControl) >= 0 {
		return ""
	}
	return n
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
