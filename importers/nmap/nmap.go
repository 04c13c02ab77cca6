// Package nmap imports nmap XML output (nmap -oX) into the configuration
// graph: every host nmap reports as up becomes one Server (or
// NetworkDevice) item keyed by its addresses and hostnames, with its open
// ports, OS guess and MAC vendor as "nmap."-prefixed attributes.
//
// The parser streams: it reads the document token by token and decodes one
// <host> at a time, so a scan of a /16 does not have to fit in memory.
package nmap

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Attribute keys. They carry the "nmap." prefix so precedence rules can
// name what this source owns.
const (
	AttrPorts      = "nmap.ports"
	AttrOS         = "nmap.os"
	AttrOSAccuracy = "nmap.osAccuracy"
	AttrVendor     = "nmap.vendor"
	AttrAddresses  = "nmap.addresses"
)

// Identifier kinds, shared with the other importers so that a host seen by
// nmap merges with the same machine seen by Terraform or Kubernetes.
const (
	KindIP       = feed.KindIP
	KindMAC      = feed.KindMAC
	KindHostname = feed.KindHostname
	KindFQDN     = feed.KindFQDN
)

// maxPortsJSON bounds the encoded size of the nmap.ports list. The store
// refuses attribute objects above graph.MaxAttributesBytes; a firewall that
// answers SYN on every port would otherwise make its host (and the whole
// import) fail. The ports kept are the first ones in sort order.
const maxPortsJSON = 48 << 10

// networkDeviceTypes are the nmap OS-class device types that make a host a
// NetworkDevice rather than a Server (compared case-insensitively).
var networkDeviceTypes = map[string]bool{
	"router":           true,
	"broadband router": true,
	"switch":           true,
	"firewall":         true,
	"wap":              true,
	"bridge":           true,
	"hub":              true,
}

// New returns the nmap XML parser.
func New() feed.Parser { return feed.ParserFunc(Parse) }

// Parse reads one nmap XML document from r and emits one Item per host that
// is up, after reporting the scope derived from the scan's target list (see
// DefaultScope). It returns an *feed.InputError for malformed or
// truncated input: a document that does not end with </nmaprun> is an
// error, never a silent partial import, because an interrupted scan would
// otherwise make every host it did not reach look gone.
func Parse(ctx context.Context, file string, r io.Reader, emit feed.Emitter) error {
	p := &parser{file: file, src: &errReader{r: r}, emit: emit}
	p.dec = xml.NewDecoder(p.src)
	p.dec.CharsetReader = charsetReader
	return p.run(ctx)
}

type parser struct {
	file  string
	src   *errReader
	dec   *xml.Decoder
	emit  feed.Emitter
	hosts int // <host> elements seen, for "host #N" in messages
}

// errReader remembers the reader's last error so that an I/O failure can
// be told apart from a syntax error in what was read: only the latter is
// the file's fault.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func (p *parser) at() string {
	line, col := p.dec.InputPos()
	return fmt.Sprintf("line %d, column %d", line, col)
}

func (p *parser) inputErr(at, field, format string, args ...any) error {
	e := feed.Inputf(at, field, format, args...)
	e.File = p.file
	return e
}

// decodeErr turns an error from the XML decoder into an InputError, unless
// it came from the underlying reader.
func (p *parser) decodeErr(err error, field, context string) error {
	if p.src.err != nil && errors.Is(err, p.src.err) {
		return fmt.Errorf("%s: reading: %w", p.file, err)
	}
	if field == "" {
		field = "nmaprun"
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) && se.Msg == "unexpected EOF" || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.inputErr(p.at(), field, "%sunexpected end of file inside <%s>: the file is truncated (was the scan interrupted?)", context, field)
	}
	msg := err.Error()
	if se != nil {
		msg = se.Msg
	}
	return p.inputErr(p.at(), field, "%smalformed XML: %s", context, msg)
}

func (p *parser) run(ctx context.Context) error {
	root, err := p.root()
	if err != nil {
		return err
	}
	if scope := DefaultScope(attr(root, "args")); scope != "" {
		if err := p.emit.Scope(scope); err != nil {
			return err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		at := p.at() // where the next token starts, for messages about it
		tok, err := p.dec.Token()
		if err == io.EOF {
			// The decoder reports EOF inside an open element as a syntax
			// error (handled by decodeErr); this is only a safety net.
			return p.inputErr(p.at(), "nmaprun", "unexpected end of file before </nmaprun>: the file is truncated (was the scan interrupted?)")
		}
		if err != nil {
			return p.decodeErr(err, "nmaprun", "")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "host" {
				// scaninfo, taskprogress, hosthint, runstats...: nothing a
				// CI needs. hosthint in particular repeats a host's address
				// before its result and must not become an item.
				if err := p.dec.Skip(); err != nil {
					return p.decodeErr(err, t.Name.Local, "")
				}
				continue
			}
			p.hosts++
			if err := p.host(at, t); err != nil {
				return err
			}
		case xml.EndElement:
			// Only </nmaprun> can close the loop: the decoder rejects
			// mismatched end tags and skipped elements consume their own.
			return p.trailer()
		}
	}
}

// root reads up to the document element and checks it is <nmaprun>.
func (p *parser) root() (xml.StartElement, error) {
	for {
		at := p.at()
		tok, err := p.dec.Token()
		if err == io.EOF {
			return xml.StartElement{}, p.inputErr(p.at(), "nmaprun", "no <nmaprun> element: the file is empty or not nmap XML output (nmap -oX)")
		}
		if err != nil {
			return xml.StartElement{}, p.decodeErr(err, "nmaprun", "")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "nmaprun" {
				return xml.StartElement{}, p.inputErr(at, "nmaprun", "root element is <%s>, want <nmaprun>: not nmap XML output (nmap -oX)", t.Name.Local)
			}
			return t, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return xml.StartElement{}, p.inputErr(at, "nmaprun", "text before the root element: not nmap XML output (nmap -oX)")
			}
		}
	}
}

// trailer checks that nothing but comments and white space follows
// </nmaprun>. nmap --append-output writes a second document after the
// first; importing only the first would silently drop the newer scan.
func (p *parser) trailer() error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.decodeErr(err, "nmaprun", "after </nmaprun>: ")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return p.inputErr(p.at(), "nmaprun", "element <%s> after </nmaprun>: several scans in one file (nmap --append-output?); import them one file at a time", t.Name.Local)
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return p.inputErr(p.at(), "nmaprun", "text after </nmaprun>")
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// The XML shapes below follow nmap.dtd (xmloutputversion 1.05). Every
// value is read as a string and checked by hand, so a bad number becomes an
// InputError naming the field instead of a bare strconv error.

type xmlHost struct {
	Status    *xmlStatus    `xml:"status"`
	Addresses []xmlAddress  `xml:"address"`
	Hostnames []xmlHostname `xml:"hostnames>hostname"`
	Ports     *xmlPorts     `xml:"ports"`
	OS        *xmlOS        `xml:"os"`
}

type xmlStatus struct {
	State string `xml:"state,attr"`
}

type xmlAddress struct {
	Addr     string `xml:"addr,attr"`
	AddrType string `xml:"addrtype,attr"`
	Vendor   string `xml:"vendor,attr"`
	at       string
}

type xmlHostname struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
	at   string
}

type xmlPorts struct {
	Ports []xmlPort `xml:"port"`
}

type xmlPort struct {
	Protocol string      `xml:"protocol,attr"`
	PortID   string      `xml:"portid,attr"`
	State    *xmlStatus  `xml:"state"`
	Service  *xmlService `xml:"service"`
	at       string
}

type xmlService struct {
	Name      string `xml:"name,attr"`
	Product   string `xml:"product,attr"`
	Version   string `xml:"version,attr"`
	ExtraInfo string `xml:"extrainfo,attr"`
	Tunnel    string `xml:"tunnel,attr"`
}

type xmlOS struct {
	Matches []xmlOSMatch `xml:"osmatch"`
	// Classes directly under <os> is the pre-2012 layout (and
	// --deprecated-xml-osclass); newer output nests them in <osmatch>.
	Classes []xmlOSClass `xml:"osclass"`
}

type xmlOSMatch struct {
	Name     string       `xml:"name,attr"`
	Accuracy string       `xml:"accuracy,attr"`
	Classes  []xmlOSClass `xml:"osclass"`
	at       string
}

type xmlOSClass struct {
	Type     string `xml:"type,attr"`
	Accuracy string `xml:"accuracy,attr"`
}

// The UnmarshalXML methods record where each element sits, so a bad port
// or address is reported at its own line rather than at its host's. The
// position is the end of the element's start tag: the decoder has just
// read it.

func pos(d *xml.Decoder) string {
	line, col := d.InputPos()
	return fmt.Sprintf("line %d, column %d", line, col)
}

// UnmarshalXML records the element's position.
func (a *xmlAddress) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xmlAddress
	at := pos(d)
	if err := d.DecodeElement((*plain)(a), &start); err != nil {
		return err
	}
	a.at = at
	return nil
}

// UnmarshalXML records the element's position.
func (h *xmlHostname) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xmlHostname
	at := pos(d)
	if err := d.DecodeElement((*plain)(h), &start); err != nil {
		return err
	}
	h.at = at
	return nil
}

// UnmarshalXML records the element's position.
func (pt *xmlPort) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xmlPort
	at := pos(d)
	if err := d.DecodeElement((*plain)(pt), &start); err != nil {
		return err
	}
	pt.at = at
	return nil
}

// UnmarshalXML records the element's position.
func (m *xmlOSMatch) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain xmlOSMatch
	at := pos(d)
	if err := d.DecodeElement((*plain)(m), &start); err != nil {
		return err
	}
	m.at = at
	return nil
}

// host decodes one <host> element and emits its item. at is where the
// element starts.
func (p *parser) host(at string, start xml.StartElement) error {
	var h xmlHost
	ctxMsg := fmt.Sprintf("host #%d: ", p.hosts)
	if err := p.dec.DecodeElement(&h, &start); err != nil {
		return p.decodeErr(err, "host", ctxMsg)
	}
	// nmap writes <status> for every host; other writers of the format
	// (masscan) leave it out and list only hosts that answered.
	if h.Status != nil && h.Status.State != "up" {
		if h.Status.State == "" {
			return p.inputErr(at, "status.state", "%s<status> without a state", ctxMsg)
		}
		return nil // down, unknown or skipped: nothing is known to exist
	}
	item, err := p.item(at, ctxMsg, &h)
	if err != nil {
		return err
	}
	return p.emit.Item(item)
}

func (p *parser) item(at, ctxMsg string, h *xmlHost) (feed.Item, error) {
	var (
		ids   []graph.Identifier
		seen  = map[graph.Identifier]bool{}
		addrs []any
		vendor,
		firstIP, firstMAC string
	)
	add := func(kind, value string) {
		id := graph.NormalizeIdentifier(graph.Identifier{Kind: kind, Value: value})
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(h.Addresses) == 0 {
		return feed.Item{}, p.inputErr(at, "address", "%sno <address> element: a host needs at least one address to be identified", ctxMsg)
	}
	for _, a := range h.Addresses {
		value, err := p.address(ctxMsg, a)
		if err != nil {
			return feed.Item{}, err
		}
		addrs = append(addrs, value)
		if a.AddrType == "mac" {
			add(KindMAC, value)
			if firstMAC == "" {
				firstMAC = value
			}
			if vendor == "" {
				vendor = strings.TrimSpace(a.Vendor)
			}
			continue
		}
		add(KindIP, value)
		if firstIP == "" {
			firstIP = value
		}
	}

	// User-given names first: they are what the operator called the host,
	// where PTR names are whatever reverse DNS says.
	var names []string
	for _, want := range []bool{true, false} {
		for _, hn := range h.Hostnames {
			if (hn.Type == "user") != want {
				continue
			}
			name, err := p.hostname(ctxMsg, hn)
			if err != nil {
				return feed.Item{}, err
			}
			if name == "" {
				continue
			}
			names = append(names, name)
		}
	}
	for _, id := range feed.HostNameIdentifiers(names) {
		add(id.Kind, id.Value)
	}

	name := firstIP
	if len(names) > 0 {
		name = names[0]
	} else if name == "" {
		name = firstMAC
	}

	attrs := map[string]any{AttrAddresses: addrs}
	if vendor != "" {
		attrs[AttrVendor] = vendor
	}
	if h.Ports != nil {
		ports, err := p.ports(ctxMsg, h.Ports.Ports)
		if err != nil {
			return feed.Item{}, err
		}
		// An empty list is a fact (scanned, nothing open); a host without
		// <ports> (ping scan, -sn) says nothing about ports, so the key is
		// left out rather than claiming "none".
		attrs[AttrPorts] = ports
	}
	class := graph.ClassServer
	if h.OS != nil {
		best, err := p.bestOS(ctxMsg, h.OS)
		if err != nil {
			return feed.Item{}, err
		}
		if best != nil {
			attrs[AttrOS] = strings.TrimSpace(best.Name)
			attrs[AttrOSAccuracy] = best.accuracy
			if networkDeviceTypes[strings.ToLower(strings.TrimSpace(best.deviceType))] {
				class = graph.ClassNetworkDevice
			}
		}
	}
	return feed.Item{
		Class:       class,
		Name:        name,
		Identifiers: ids,
		Attributes:  attrs,
		At:          fmt.Sprintf("%s (host #%d, %s)", at, p.hosts, name),
	}, nil
}

// address validates one <address> and returns its canonical text: the
// shortest form of an IP (so ::1 and 0:0::1 merge) and a lower-case,
// colon-separated MAC.
func (p *parser) address(ctxMsg string, a xmlAddress) (string, error) {
	raw := strings.TrimSpace(a.Addr)
	if raw == "" {
		return "", p.inputErr(a.at, "address.addr", "%s<address> without addr", ctxMsg)
	}
	switch a.AddrType {
	case "", "ipv4", "ipv6":
		typ := a.AddrType
		if typ == "" {
			typ = "ipv4" // the DTD's default
		}
		ip, ok := feed.CanonicalIP(raw)
		if !ok {
			return "", p.inputErr(a.at, "address.addr", "%sinvalid IP address %q", ctxMsg, clip(raw))
		}
		if netip.MustParseAddr(ip).Is4() != (typ == "ipv4") {
			return "", p.inputErr(a.at, "address.addr", "%saddress %q is not of addrtype %s", ctxMsg, clip(raw), typ)
		}
		return ip, nil
	case "mac":
		mac, err := net.ParseMAC(raw)
		if err != nil {
			return "", p.inputErr(a.at, "address.addr", "%sinvalid MAC address %q", ctxMsg, clip(raw))
		}
		return mac.String(), nil
	default:
		return "", p.inputErr(a.at, "address.addrtype", "%sunknown addrtype %q (want ipv4, ipv6 or mac)", ctxMsg, clip(a.AddrType))
	}
}

// hostname validates one <hostname> and returns it without a trailing
// dot, so "web.example.com." and "web.example.com" are one identifier.
func (p *parser) hostname(ctxMsg string, hn xmlHostname) (string, error) {
	name := strings.TrimSuffix(strings.TrimSpace(hn.Name), ".")
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", p.inputErr(hn.at, "hostname.name", "%shost name %q contains white space or control characters", ctxMsg, clip(name))
	}
	if len(name) > graph.MaxIdentifierValue {
		return "", p.inputErr(hn.at, "hostname.name", "%shost name is longer than %d bytes", ctxMsg, graph.MaxIdentifierValue)
	}
	return name, nil
}

type portKey struct {
	protocol string
	port     int
}

// ports returns the open ports as JSON-shaped values ([]any of
// map[string]any, float64 numbers): exactly what the store keeps after
// its JSON round trip, so an item compares equal to its stored CI.
func (p *parser) ports(ctxMsg string, list []xmlPort) ([]any, error) {
	type open struct {
		key portKey
		obj map[string]any
	}
	var opens []open
	for _, pt := range list {
		protocol := strings.TrimSpace(pt.Protocol)
		if protocol == "" {
			return nil, p.inputErr(pt.at, "port.protocol", "%s<port> without protocol", ctxMsg)
		}
		n, err := strconv.Atoi(strings.TrimSpace(pt.PortID))
		if err != nil || n < 0 || n > 65535 {
			return nil, p.inputErr(pt.at, "port.portid", "%sport %q is not a number from 0 to 65535", ctxMsg, clip(pt.PortID))
		}
		if pt.State == nil || pt.State.State == "" {
			return nil, p.inputErr(pt.at, "port.state", "%sport %s/%d has no <state state>", ctxMsg, protocol, n)
		}
		// Only "open": "open|filtered" means nmap could not tell, and
		// closed or filtered ports are not something the host offers.
		if pt.State.State != "open" {
			continue
		}
		obj := map[string]any{"port": float64(n), "protocol": protocol, "state": "open"}
		if s := pt.Service; s != nil {
			for k, v := range map[string]string{
				"service":   s.Name,
				"product":   s.Product,
				"version":   s.Version,
				"extrainfo": s.ExtraInfo,
				"tunnel":    s.Tunnel,
			} {
				if v = strings.TrimSpace(v); v != "" {
					obj[k] = v
				}
			}
		}
		opens = append(opens, open{portKey{protocol, n}, obj})
	}
	sort.SliceStable(opens, func(i, j int) bool {
		a, b := opens[i].key, opens[j].key
		if a.protocol != b.protocol {
			return a.protocol < b.protocol
		}
		return a.port < b.port
	})
	out := make([]any, 0, len(opens))
	size := 0
	for _, o := range opens {
		b, _ := json.Marshal(o.obj) // strings and a float64: cannot fail
		if size += len(b) + 1; size > maxPortsJSON {
			break
		}
		out = append(out, o.obj)
	}
	return out, nil
}

type osGuess struct {
	Name       string
	accuracy   float64
	deviceType string
}

// bestOS returns the most accurate <osmatch> (the first on ties, which is
// nmap's own order), or nil when nmap made no guess.
func (p *parser) bestOS(ctxMsg string, o *xmlOS) (*osGuess, error) {
	var best *osGuess
	for _, m := range o.Matches {
		acc, err := accuracy(m.Accuracy)
		if err != nil {
			return nil, p.inputErr(m.at, "osmatch.accuracy", "%sosmatch %q: accuracy %q is not a number from 0 to 100", ctxMsg, clip(m.Name), clip(m.Accuracy))
		}
		if strings.TrimSpace(m.Name) == "" {
			continue
		}
		if best == nil || acc > best.accuracy {
			classes := m.Classes
			if len(classes) == 0 {
				classes = o.Classes
			}
			best = &osGuess{Name: m.Name, accuracy: acc, deviceType: bestClass(classes)}
		}
	}
	return best, nil
}

// bestClass returns the device type of the most accurate <osclass>.
func bestClass(classes []xmlOSClass) string {
	typ, bestAcc := "", -1.0
	for _, c := range classes {
		acc, err := accuracy(c.Accuracy)
		if err != nil {
			acc = 0 // a class's accuracy only breaks ties; not worth failing
		}
		if acc > bestAcc {
			typ, bestAcc = c.Type, acc
		}
	}
	return typ
}

func accuracy(s string) (float64, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 100 {
		return 0, errors.New("bad accuracy")
	}
	return float64(n), nil
}

// clip keeps quoted input in messages short.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}

// charsetReader accepts the encodings a hand-edited or converted nmap file
// may declare besides UTF-8 (which nmap itself always writes).
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "us-ascii", "ascii":
		return input, nil // a subset of UTF-8; the decoder rejects the rest
	case "iso-8859-1", "latin1", "latin-1":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (nmap writes UTF-8)", charset)
}

// latin1Reader decodes ISO-8859-1, where every byte is the code point of
// the same value.
type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		// A code point may need two bytes of UTF-8.
		return 0, io.ErrShortBuffer
	}
	if cap(l.buf) < len(p)/2 {
		l.buf = make([]byte, len(p)/2)
	}
	n, err := l.r.Read(l.buf[:len(p)/2])
	out := 0
	for _, c := range l.buf[:n] {
		if c < 0x80 {
			p[out] = c
			out++
			continue
		}
		p[out] = 0xc0 | c>>6
		p[out+1] = 0x80 | c&0x3f
		out += 2
	}
	return out, err
}
