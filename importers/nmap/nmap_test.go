package nmap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers/feed"
)

// recorder is an Emitter that keeps everything it is given.
type recorder struct {
	scopes  []string
	items   []feed.Item
	links   []feed.Link
	itemErr error // returned from Item when set
}

func (r *recorder) Scope(s string) error { r.scopes = append(r.scopes, s); return nil }
func (r *recorder) Link(l feed.Link) error {
	r.links = append(r.links, l)
	return nil
}
func (r *recorder) Item(it feed.Item) error {
	if r.itemErr != nil {
		return r.itemErr
	}
	r.items = append(r.items, it)
	return nil
}

func (r *recorder) item(t *testing.T, name string) feed.Item {
	t.Helper()
	for _, it := range r.items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no item named %q among %v", name, names(r.items))
	return feed.Item{}
}

func names(items []feed.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

func parseBytes(t testing.TB, data []byte) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	err := New().Parse(context.Background(), "in.xml", bytes.NewReader(data), rec)
	return rec, err
}

func parseFile(t *testing.T, name string) *recorder {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseBytes(t, data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rec
}

// portList renders nmap.ports compactly: "tcp/22 ssh OpenSSH".
func portList(t *testing.T, it feed.Item) []string {
	t.Helper()
	raw, ok := it.Attributes[AttrPorts]
	if !ok {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		t.Fatalf("%s: nmap.ports is %T, want []any", it.Name, raw)
	}
	out := []string{}
	for _, p := range list {
		m := p.(map[string]any)
		s := fmt.Sprintf("%s/%v", m["protocol"], m["port"])
		for _, k := range []string{"service", "product"} {
			if v, ok := m[k]; ok {
				s += " " + v.(string)
			}
		}
		out = append(out, s)
	}
	return out
}

func ids(pairs ...string) []graph.Identifier {
	var out []graph.Identifier
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, graph.Identifier{Kind: pairs[i], Value: pairs[i+1]})
	}
	return out
}

type hostWant struct {
	ids   []graph.Identifier
	class string
	ports []string // nil: no nmap.ports attribute
}

var (
	sshHTTP = []string{"tcp/22 ssh OpenSSH", "tcp/80 http SimpleHTTPServer"}
	pgHTTP  = []string{"tcp/5432 postgresql", "tcp/8080 http SimpleHTTPServer"}
	only9k  = []string{"tcp/9001 http SimpleHTTPServer"}
)

// TestFixtures checks every scan made by the real nmap (see
// testdata/README.md) against what the listeners were known to offer.
func TestFixtures(t *testing.T) {
	three := map[string]hostWant{
		"127.0.0.2": {ids("ip", "127.0.0.2"), graph.ClassServer, sshHTTP},
		"127.0.0.3": {ids("ip", "127.0.0.3"), graph.ClassServer, pgHTTP},
		"127.0.0.4": {ids("ip", "127.0.0.4"), graph.ClassServer, only9k},
	}
	tests := []struct {
		file  string
		scope string
		hosts map[string]hostWant
	}{
		{"scan-3hosts.xml", "nmap:127.0.0.2-4", three},
		{"scan-3hosts-rescan.xml", "nmap:127.0.0.2-4", three},
		{"scan-3hosts-connect.xml", "nmap:127.0.0.2-4", three},
		{"scan-port-closed.xml", "nmap:127.0.0.2-4", map[string]hostWant{
			"127.0.0.2": three["127.0.0.2"],
			"127.0.0.3": {ids("ip", "127.0.0.3"), graph.ClassServer, []string{"tcp/5432 postgresql"}},
			"127.0.0.4": three["127.0.0.4"],
		}},
		{"scan-host-gone.xml", "nmap:127.0.0.2-4", map[string]hostWant{
			"127.0.0.2": three["127.0.0.2"],
			"127.0.0.4": three["127.0.0.4"],
		}},
		{"scan-os.xml", "nmap:127.0.0.2 127.0.0.4", map[string]hostWant{
			"127.0.0.2": three["127.0.0.2"],
			"127.0.0.4": three["127.0.0.4"],
		}},
		{"scan-localhost.xml", "nmap:localhost", map[string]hostWant{
			"localhost": {ids("ip", "127.0.0.1", "hostname", "localhost"), graph.ClassServer, []string{"tcp/9007 http SimpleHTTPServer"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := parseFile(t, tt.file)
			if want := []string{tt.scope}; !reflect.DeepEqual(rec.scopes, want) {
				t.Errorf("scopes = %q, want %q", rec.scopes, want)
			}
			if len(rec.items) != len(tt.hosts) {
				t.Fatalf("%d items %v, want %d", len(rec.items), names(rec.items), len(tt.hosts))
			}
			if len(rec.links) != 0 {
				t.Errorf("links = %v, want none", rec.links)
			}
			for name, want := range tt.hosts {
				it := rec.item(t, name)
				if !reflect.DeepEqual(it.Identifiers, want.ids) {
					t.Errorf("%s: identifiers = %v, want %v", name, it.Identifiers, want.ids)
				}
				if it.Class != want.class {
					t.Errorf("%s: class = %q, want %q", name, it.Class, want.class)
				}
				if got := portList(t, it); !reflect.DeepEqual(got, want.ports) {
					t.Errorf("%s: ports = %q, want %q", name, got, want.ports)
				}
				ip := want.ids[0].Value
				if got := it.Attributes[AttrAddresses]; !reflect.DeepEqual(got, []any{ip}) {
					t.Errorf("%s: addresses = %v, want [%s]", name, got, ip)
				}
				if !regexp.MustCompile(`^line \d+, column \d+ \(host #\d+, `).MatchString(it.At) {
					t.Errorf("%s: At = %q", name, it.At)
				}
				checkValid(t, it)
			}
		})
	}
}

// checkValid runs what the store will run on the item, so the parser
// cannot emit something every import would then reject.
func checkValid(t *testing.T, it feed.Item) {
	t.Helper()
	if len(it.Identifiers) == 0 {
		t.Errorf("%s: no identifiers", it.Name)
	}
	name, class := it.Name, it.Class
	in := graph.CIInput{Name: &name, Class: &class, Attributes: it.Attributes, Identifiers: it.Identifiers}
	if err := graph.DefaultCatalogue().ValidateCIInput(in); err != nil {
		t.Errorf("%s: store would reject the item: %v", it.Name, err)
	}
	for _, id := range it.Identifiers {
		if id != graph.NormalizeIdentifier(id) {
			t.Errorf("%s: identifier %v is not normalized", it.Name, id)
		}
	}
}

// TestSSHPortDetail pins the full shape of one port object: numbers as
// float64 (what the store keeps after its JSON round trip), empty strings
// left out, volatile fields (reason, ttl, conf) absent.
func TestSSHPortDetail(t *testing.T) {
	rec := parseFile(t, "scan-3hosts.xml")
	it := rec.item(t, "127.0.0.2")
	want := map[string]any{
		AttrAddresses: []any{"127.0.0.2"},
		AttrPorts: []any{
			map[string]any{"port": float64(22), "protocol": "tcp", "state": "open", "service": "ssh",
				"product": "OpenSSH", "version": "9.2p1 Debian 2+deb12u3", "extrainfo": "protocol 2.0"},
			map[string]any{"port": float64(80), "protocol": "tcp", "state": "open", "service": "http",
				"product": "SimpleHTTPServer", "version": "0.6", "extrainfo": "Python 3.11.7"},
		},
	}
	if !reflect.DeepEqual(it.Attributes, want) {
		t.Errorf("attributes =\n%#v\nwant\n%#v", it.Attributes, want)
	}
	pg := rec.item(t, "127.0.0.3").Attributes[AttrPorts].([]any)[0]
	if want := map[string]any{"port": float64(5432), "protocol": "tcp", "state": "open", "service": "postgresql"}; !reflect.DeepEqual(pg, want) {
		t.Errorf("postgres port = %#v, want %#v", pg, want)
	}
}

func TestOSDetection(t *testing.T) {
	rec := parseFile(t, "scan-os.xml")
	for _, it := range rec.items {
		os, _ := it.Attributes[AttrOS].(string)
		acc, _ := it.Attributes[AttrOSAccuracy].(float64)
		if !strings.HasPrefix(os, "Linux") || acc < 50 || acc > 100 {
			t.Errorf("%s: os %q accuracy %v, want a Linux guess", it.Name, os, acc)
		}
	}
}

// TestRescanUnchanged: a fresh scan of unchanged hosts differs from the
// first only in times, RTTs and the output file name, none of which may
// reach the items, or every re-import would report changes.
func TestRescanUnchanged(t *testing.T) {
	first := parseFile(t, "scan-3hosts.xml")
	again := parseFile(t, "scan-3hosts.xml")
	if !reflect.DeepEqual(first, again) {
		t.Fatal("parsing the same file twice gave different results")
	}
	for _, other := range []string{"scan-3hosts-rescan.xml", "scan-3hosts-connect.xml"} {
		rec := parseFile(t, other)
		if !reflect.DeepEqual(rec.scopes, first.scopes) {
			t.Errorf("%s: scope %q, want %q", other, rec.scopes, first.scopes)
		}
		if len(rec.items) != len(first.items) {
			t.Fatalf("%s: %d items, want %d", other, len(rec.items), len(first.items))
		}
		for i := range rec.items {
			a, b := first.items[i], rec.items[i]
			a.At, b.At = "", "" // the connect scan has <hosthint>s: lines move
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: item %d =\n%#v\nwant\n%#v", other, i, b, a)
			}
		}
	}
}

// synthetic wraps host elements in a minimal document. These cover what
// loopback scans cannot produce (MAC addresses, IPv6, dotted names, down
// hosts, routers); the shapes are copied from nmap.dtd and real output.
func synthetic(args string, hosts ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="` + args + `" start="1" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1" services="22"/>
` + strings.Join(hosts, "\n") + `
<runstats><finished time="2" elapsed="1" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`)
}

const lanHost = `<host starttime="1" endtime="2"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.168.1.10" addrtype="ipv4"/>
<address addr="2001:DB8:0:0::10" addrtype="ipv6"/>
<address addr="00:1A:2B:3C:4D:5E" addrtype="mac" vendor="Cisco Systems"/>
<hostnames>
<hostname name="gw1.PTR.example.org." type="PTR"/>
<hostname name="GW1" type="user"/>
</hostnames>
<ports><extraports state="closed" count="997"/>
<port protocol="udp" portid="161"><state state="open" reason="udp-response" reason_ttl="64"/><service name="snmp" method="probed" conf="10"/></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="" tunnel="ssl" method="probed" conf="10"/></port>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
<port protocol="udp" portid="53"><state state="open|filtered" reason="no-response" reason_ttl="0"/></port>
</ports>
<os><portused state="open" proto="tcp" portid="22"/>
<osmatch name="Cisco 2811 router" accuracy="91" line="1"><osclass type="Router" vendor="Cisco" osfamily="IOS" accuracy="91"/></osmatch>
<osmatch name="Cisco Catalyst switch" accuracy="95" line="2"><osclass type="general purpose" vendor="Cisco" osfamily="IOS" accuracy="60"/><osclass type="switch" vendor="Cisco" osfamily="IOS" accuracy="95"/></osmatch>
<osmatch name="Other switch" accuracy="95" line="3"><osclass type="general purpose" accuracy="95"/></osmatch>
</os>
<uptime seconds="123" lastboot="Mon Nov 23 13:36:15 2026"/>
<distance value="1"/>
<times srtt="59" rttvar="3" to="100000"/>
</host>`

func TestSyntheticLANHost(t *testing.T) {
	rec, err := parseBytes(t, synthetic("nmap -O -sU -sS 192.168.1.0/24", lanHost))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.items) != 1 {
		t.Fatalf("%d items", len(rec.items))
	}
	it := rec.items[0]
	want := feed.Item{
		Class: graph.ClassNetworkDevice,
		Name:  "GW1",
		Identifiers: ids("ip", "192.168.1.10", "ip", "2001:db8::10", "mac", "00:1a:2b:3c:4d:5e",
			"hostname", "gw1", "hostname", "gw1.ptr.example.org", "fqdn", "gw1.ptr.example.org"),
		Attributes: map[string]any{
			AttrAddresses:  []any{"192.168.1.10", "2001:db8::10", "00:1a:2b:3c:4d:5e"},
			AttrVendor:     "Cisco Systems",
			AttrOS:         "Cisco Catalyst switch",
			AttrOSAccuracy: float64(95),
			AttrPorts: []any{
				map[string]any{"port": float64(22), "protocol": "tcp", "state": "open"},
				map[string]any{"port": float64(443), "protocol": "tcp", "state": "open", "service": "http", "tunnel": "ssl"},
				map[string]any{"port": float64(161), "protocol": "udp", "state": "open", "service": "snmp"},
			},
		},
		At: "line 5, column 1 (host #1, GW1)",
	}
	if !reflect.DeepEqual(it, want) {
		t.Errorf("item =\n%#v\nwant\n%#v", it, want)
	}
	if want := []string{"nmap:192.168.1.0/24"}; !reflect.DeepEqual(rec.scopes, want) {
		t.Errorf("scopes = %q", rec.scopes)
	}
	checkValid(t, it)
}

func TestSyntheticHosts(t *testing.T) {
	tests := []struct {
		name      string
		host      string
		items     int
		itemName  string
		class     string
		noPorts   bool
		wantIDs   []graph.Identifier
		wantAttrs map[string]any
	}{
		{name: "down host skipped", items: 0,
			host: `<host><status state="down" reason="no-response"/><address addr="10.0.0.9" addrtype="ipv4"/></host>`},
		{name: "ping scan: no ports key", items: 1, itemName: "10.0.0.1", class: graph.ClassServer, noPorts: true,
			host:    `<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><hostnames/></host>`,
			wantIDs: ids("ip", "10.0.0.1")},
		{name: "masscan style: no status, default addrtype", items: 1, itemName: "10.0.0.2", class: graph.ClassServer,
			host:    `<host endtime="1"><address addr="10.0.0.2"/><ports><port protocol="tcp" portid="80"><state state="open"/></port></ports></host>`,
			wantIDs: ids("ip", "10.0.0.2")},
		{name: "PTR name when no user name", items: 1, itemName: "DB.example.com", class: graph.ClassServer,
			host:    `<host><status state="up"/><address addr="10.0.0.3" addrtype="ipv4"/><hostnames><hostname name="" type="user"/><hostname name="DB.example.com" type="PTR"/></hostnames><ports/></host>`,
			wantIDs: ids("ip", "10.0.0.3", "hostname", "db.example.com", "fqdn", "db.example.com")},
		{name: "wap, case-insensitive", items: 1, itemName: "10.0.0.4", class: graph.ClassNetworkDevice, noPorts: true,
			host:    `<host><status state="up"/><address addr="10.0.0.4" addrtype="ipv4"/><os><osmatch name="ASUS RT-N56U WAP (Linux 3.4)" accuracy="93"><osclass type="wap" accuracy="93"/></osmatch></os></host>`,
			wantIDs: ids("ip", "10.0.0.4")},
		{name: "old layout: osclass under os", items: 1, itemName: "10.0.0.5", class: graph.ClassNetworkDevice, noPorts: true,
			host:    `<host><status state="up"/><address addr="10.0.0.5" addrtype="ipv4"/><os><osclass type="firewall" accuracy="99"/><osmatch name="Check Point" accuracy="99"/></os></host>`,
			wantIDs: ids("ip", "10.0.0.5")},
		{name: "general purpose stays Server", items: 1, itemName: "10.0.0.6", class: graph.ClassServer, noPorts: true,
			host:    `<host><status state="up"/><address addr="10.0.0.6" addrtype="ipv4"/><os><osmatch name="Linux 5.0 - 5.2" accuracy="97"><osclass type="general purpose" accuracy="97"/></osmatch><osmatch name="ASUS WAP" accuracy="93"><osclass type="WAP" accuracy="93"/></osmatch></os></host>`,
			wantIDs: ids("ip", "10.0.0.6")},
		{name: "only a MAC", items: 1, itemName: "aa:bb:cc:dd:ee:ff", class: graph.ClassServer, noPorts: true,
			host:    `<host><status state="up"/><address addr="AA-BB-CC-DD-EE-FF" addrtype="mac"/></host>`,
			wantIDs: ids("mac", "aa:bb:cc:dd:ee:ff")},
		{name: "duplicate names and addresses collapse", items: 1, itemName: "localhost", class: graph.ClassServer, noPorts: true,
			host:    `<host><status state="up"/><address addr="127.0.0.1" addrtype="ipv4"/><address addr="127.0.0.1" addrtype="ipv4"/><hostnames><hostname name="localhost" type="user"/><hostname name="LOCALHOST" type="PTR"/></hostnames></host>`,
			wantIDs: ids("ip", "127.0.0.1", "hostname", "localhost")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := parseBytes(t, synthetic("nmap x", tt.host))
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.items) != tt.items {
				t.Fatalf("%d items, want %d", len(rec.items), tt.items)
			}
			if tt.items == 0 {
				return
			}
			it := rec.items[0]
			if it.Name != tt.itemName || it.Class != tt.class {
				t.Errorf("name, class = %q, %q; want %q, %q", it.Name, it.Class, tt.itemName, tt.class)
			}
			if !reflect.DeepEqual(it.Identifiers, tt.wantIDs) {
				t.Errorf("identifiers = %v, want %v", it.Identifiers, tt.wantIDs)
			}
			if _, has := it.Attributes[AttrPorts]; has == tt.noPorts {
				t.Errorf("nmap.ports present = %v, want %v", has, !tt.noPorts)
			}
			checkValid(t, it)
		})
	}
}

func TestManyOpenPortsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><ports>`)
	for p := 1; p <= 65535; p++ {
		fmt.Fprintf(&b, `<port protocol="tcp" portid="%d"><state state="open"/><service name="unknown" product="tcpwrapped proxy" extrainfo="answers SYN on every port"/></port>`, p)
	}
	b.WriteString(`</ports></host>`)
	rec, err := parseBytes(t, synthetic("nmap -p- 10.0.0.1", b.String()))
	if err != nil {
		t.Fatal(err)
	}
	it := rec.items[0]
	ports := it.Attributes[AttrPorts].([]any)
	if len(ports) == 0 || len(ports) > 1000 {
		t.Fatalf("%d ports kept", len(ports))
	}
	if first := ports[0].(map[string]any)["port"]; first != float64(1) {
		t.Errorf("first port kept = %v, want 1 (the lowest)", first)
	}
	checkValid(t, it)
}

var atRE = regexp.MustCompile(`^line \d+, column \d+$`)

func TestInputErrors(t *testing.T) {
	truncated, err := os.ReadFile("testdata/truncated.xml")
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile("testdata/scan-3hosts.xml")
	if err != nil {
		t.Fatal(err)
	}
	lastHost := bytes.LastIndex(full, []byte("</host>")) + len("</host>")
	tests := []struct {
		name  string
		data  []byte
		line  int // 0: any
		field string
		msg   string // substring
	}{
		{"truncated inside a host", truncated, 0, "host", "host #2: unexpected end of file"},
		{"cut after the last host", full[:lastHost], 0, "nmaprun", "inside <nmaprun>: the file is truncated"},
		{"cut after runstats", full[:bytes.Index(full, []byte("</nmaprun>"))], 0, "nmaprun", "truncated"},
		{"empty", nil, 1, "nmaprun", "no <nmaprun>"},
		{"garbage", []byte("\x00\x01 this is not xml"), 1, "nmaprun", "malformed XML"},
		{"plain text", []byte("Starting Nmap 7.93\nNmap scan report for 127.0.0.2\n"), 1, "nmaprun", "text before the root"},
		{"json", []byte(`{"nmaprun": {}}`), 1, "nmaprun", "text before the root"},
		{"wrong root", []byte("<?xml version=\"1.0\"?>\n<scan><host/></scan>"), 2, "nmaprun", "root element is <scan>"},
		{"bad nesting", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><ports></host>`), 5, "host", "host #1: malformed XML"},
		{"two documents", append(append([]byte{}, full...), full...), 0, "nmaprun", "several scans"},
		{"no address", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/></host>`, `<host><status state="up"/><hostnames><hostname name="a"/></hostnames></host>`), 6, "address", "host #2: no <address>"},
		{"empty addr", synthetic("nmap x", "\n\n<host><status state=\"up\"/>\n<address addr=\"\" addrtype=\"ipv4\"/></host>"), 8, "address.addr", "host #1"},
		{"bad ip", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.300" addrtype="ipv4"/></host>`), 5, "address.addr", "invalid IP"},
		{"ipv6 typed ipv4", synthetic("nmap x", `<host><status state="up"/><address addr="::1" addrtype="ipv4"/></host>`), 5, "address.addr", "not of addrtype ipv4"},
		{"bad mac", synthetic("nmap x", `<host><status state="up"/><address addr="00:11" addrtype="mac"/></host>`), 5, "address.addr", "invalid MAC"},
		{"bad addrtype", synthetic("nmap x", `<host><status state="up"/><address addr="x" addrtype="ipx"/></host>`), 5, "address.addrtype", "unknown addrtype"},
		{"bad portid", synthetic("nmap x", "<host><status state=\"up\"/><address addr=\"10.0.0.1\"/><ports>\n<port protocol=\"tcp\" portid=\"22\"><state state=\"open\"/></port>\n<port protocol=\"tcp\" portid=\"http\"><state state=\"open\"/></port></ports></host>"), 7, "port.portid", "host #1: port \"http\""},
		{"port out of range", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/><ports><port protocol="tcp" portid="70000"><state state="open"/></port></ports></host>`), 5, "port.portid", "0 to 65535"},
		{"port without protocol", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/><ports><port portid="22"><state state="open"/></port></ports></host>`), 5, "port.protocol", "without protocol"},
		{"port without state", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/><ports><port protocol="tcp" portid="22"/></ports></host>`), 5, "port.state", "tcp/22"},
		{"status without state", synthetic("nmap x", `<host><status/><address addr="10.0.0.1"/></host>`), 5, "status.state", "host #1"},
		{"bad accuracy", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/><os><osmatch name="Linux" accuracy="high"/></os></host>`), 5, "osmatch.accuracy", "Linux"},
		{"hostname with space", synthetic("nmap x", `<host><status state="up"/><address addr="10.0.0.1"/><hostnames><hostname name="a b" type="user"/></hostnames></host>`), 5, "hostname.name", "white space"},
		{"unsupported encoding", []byte(`<?xml version="1.0" encoding="EBCDIC"?><nmaprun/>`), 1, "nmaprun", "EBCDIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBytes(t, tt.data)
			var ie *feed.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *feed.InputError", err, err)
			}
			if ie.File != "in.xml" {
				t.Errorf("File = %q", ie.File)
			}
			if !atRE.MatchString(ie.At) {
				t.Errorf("At = %q, want line L, column C", ie.At)
			}
			if tt.line != 0 && !strings.HasPrefix(ie.At, fmt.Sprintf("line %d,", tt.line)) {
				t.Errorf("At = %q, want line %d", ie.At, tt.line)
			}
			if ie.Field != tt.field {
				t.Errorf("Field = %q, want %q", ie.Field, tt.field)
			}
			if !strings.Contains(ie.Message, tt.msg) {
				t.Errorf("Message = %q, want it to contain %q", ie.Message, tt.msg)
			}
		})
	}
}

// TestTruncatedEmitsNoLaterHosts: hosts before the cut may already have
// been emitted (the parser streams), but the error must come, so the
// engine aborts the run instead of marking unseen hosts stale.
func TestTruncatedEmitsNoLaterHosts(t *testing.T) {
	data, err := os.ReadFile("testdata/truncated.xml")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseBytes(t, data)
	if err == nil {
		t.Fatal("truncated file parsed without error")
	}
	if len(rec.items) != 1 || rec.items[0].Name != "127.0.0.2" {
		t.Errorf("items before the error = %v, want [127.0.0.2]", names(rec.items))
	}
}

func TestLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<nmaprun args=\"nmap h\"><host><status state=\"up\"/><address addr=\"10.0.0.1\"/><address addr=\"00:11:22:33:44:55\" addrtype=\"mac\" vendor=\"M\xfcller GmbH\"/></host></nmaprun>"
	rec, err := parseBytes(t, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.items[0].Attributes[AttrVendor]; got != "Müller GmbH" {
		t.Errorf("vendor = %q", got)
	}
}

func TestContextCancelled(t *testing.T) {
	data, err := os.ReadFile("testdata/scan-3hosts.xml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = New().Parse(ctx, "x", bytes.NewReader(data), &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// cancelAfterFirst cancels the run when the first item arrives.
type cancelAfterFirst struct {
	recorder
	cancel context.CancelFunc
}

func (c *cancelAfterFirst) Item(it feed.Item) error {
	c.cancel()
	return c.recorder.Item(it)
}

func TestContextCancelledMidway(t *testing.T) {
	data, err := os.ReadFile("testdata/scan-3hosts.xml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &cancelAfterFirst{cancel: cancel}
	err = New().Parse(ctx, "x", bytes.NewReader(data), rec)
	if !errors.Is(err, context.Canceled) || len(rec.items) != 1 {
		t.Fatalf("err = %v after %d items, want context.Canceled after 1", err, len(rec.items))
	}
}

func TestEmitterErrorReturned(t *testing.T) {
	data, err := os.ReadFile("testdata/scan-3hosts.xml")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = New().Parse(context.Background(), "x", bytes.NewReader(data), &recorder{itemErr: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the emitter's", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestReadErrorIsNotInputError: a broken disk or pipe is not the file's
// fault, and must not be reported as if the scan were malformed.
func TestReadErrorIsNotInputError(t *testing.T) {
	eio := errors.New("input/output error")
	r := io.MultiReader(strings.NewReader("<nmaprun><host>"), failingReader{eio})
	err := New().Parse(context.Background(), "x", r, &recorder{})
	var ie *feed.InputError
	if !errors.Is(err, eio) || errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want the read error, not an InputError", err, err)
	}
}

// TestStreams: the first host is emitted before the rest of the document
// has even been written, so the parser does not buffer the whole input.
func TestStreams(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan feed.Item, 10)
	done := make(chan error, 1)
	go func() {
		done <- New().Parse(context.Background(), "x", pr, emitFunc(func(it feed.Item) { got <- it }))
	}()
	write := func(s string) {
		if _, err := io.WriteString(pw, s); err != nil {
			t.Error(err)
		}
	}
	write(`<nmaprun args="nmap 10.0.0.0/8"><host><status state="up"/><address addr="10.0.0.1"/></host>` + "\n")
	select {
	case it := <-got:
		if it.Name != "10.0.0.1" {
			t.Errorf("first item %q", it.Name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no item before the document was complete")
	}
	write(`<host><status state="up"/><address addr="10.0.0.2"/></host></nmaprun>`)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if it := <-got; it.Name != "10.0.0.2" {
		t.Errorf("second item %q", it.Name)
	}
}

type emitFunc func(feed.Item)

func (f emitFunc) Scope(string) error      { return nil }
func (f emitFunc) Link(feed.Link) error    { return nil }
func (f emitFunc) Item(it feed.Item) error { f(it); return nil }

func TestDefaultScope(t *testing.T) {
	tests := []struct{ args, want string }{
		{"nmap -sV -p 22,80,5432,8080,9000-9010 -oX out.xml 127.0.0.2-4", "nmap:127.0.0.2-4"},
		{"nmap 127.0.0.3 -oX out.xml 127.0.0.2", "nmap:127.0.0.2 127.0.0.3"},
		{"/usr/bin/nmap -oX out.xml -p 22 127.0.0.2 127.0.0.3", "nmap:127.0.0.2 127.0.0.3"},
		{"nmap -oX - -T4 -A --top-ports 100 --max-retries 1 --host-timeout 20s 10.0.0.0/24", "nmap:10.0.0.0/24"},
		{"nmap --top-ports=100 -p22 -T4 -PS22,80 -sS -sV -O -d2 -vvv -Pn 10.0.0.1", "nmap:10.0.0.1"},
		{"nmap --exclude 127.0.0.3 -sV 127.0.0.2-4", "nmap:127.0.0.2-4"},
		{"nmap -sI zombie.example.com -e eth0 -S 1.2.3.4 --script vuln --script-args=a=1 host.Example.COM", "nmap:host.example.com"},
		{"nmap --top 10 --max_retries 2 -oA base 10.0.0.1", "nmap:10.0.0.1"},
		{"nmap -nvA 10.0.0.1", "nmap:10.0.0.1"},
		{"nmap -p 22 -- 10.0.0.2 10.0.0.1 10.0.0.2", "nmap:10.0.0.1 10.0.0.2"},
		{"nmap -&#45;unprivileged 10.0.0.1", ""}, // not decoded: an unknown option
		{"nmap --unprivileged 10.0.0.1", "nmap:10.0.0.1"},
		{"nmap -iL hosts.txt", ""},
		{"nmap -iL hosts.txt 10.0.0.1", ""},
		{"nmap -iR 100 -p 80", ""},
		{"nmap --resume scan.gnmap", ""},
		{"nmap --brand-new-option 5 10.0.0.1", ""},
		{"nmap -sV -oX out.xml", ""},
		{"nmap -p", ""},
		{"nmap", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DefaultScope(tt.args); got != tt.want {
			t.Errorf("DefaultScope(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	a := DefaultScope("nmap -sV -p 22 -oX a.xml 10.0.0.2 10.0.0.1")
	b := DefaultScope("nmap 10.0.0.1 -oX b.xml 10.0.0.2 -p 22 -sV")
	if a != b || a == "" {
		t.Errorf("option order changed the scope: %q vs %q", a, b)
	}
}

// TestLiveScan runs the real nmap, when installed, against a listener the
// test starts on loopback, so the fixtures cannot drift from what the tool
// writes today.
func TestLiveScan(t *testing.T) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	if testing.Short() {
		t.Skip("live scan skipped in -short mode")
	}
	const addr = "127.0.0.7"
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nmap, "-Pn", "-n", "-p", strconv.Itoa(port),
		"--max-retries", "1", "--host-timeout", "20s", "-oX", "-", addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, stderr.Bytes())
	}
	rec, err := parseBytes(t, out)
	if err != nil {
		t.Fatalf("parsing nmap's output: %v\n%s", err, out)
	}
	if want := []string{"nmap:" + addr}; !reflect.DeepEqual(rec.scopes, want) {
		t.Errorf("scopes = %q, want %q", rec.scopes, want)
	}
	if len(rec.items) != 1 {
		t.Fatalf("%d items, want 1\n%s", len(rec.items), out)
	}
	if got, want := portList(t, rec.items[0]), fmt.Sprintf("tcp/%d", port); len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("ports = %q, want %s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(synthetic("nmap -O 192.168.1.0/24", lanHost))
	f.Add([]byte(`<nmaprun><host><address addr="::1" addrtype="ipv6"/></host></nmaprun>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := parseBytes(t, data)
		if err != nil {
			var ie *feed.InputError
			if !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v (%T), want *feed.InputError", err, err)
			}
			if ie != nil && !atRE.MatchString(ie.At) {
				t.Fatalf("At = %q", ie.At)
			}
			return
		}
		if len(rec.scopes) > 1 {
			t.Fatalf("Scope called %d times", len(rec.scopes))
		}
		for _, it := range rec.items {
			if len(it.Identifiers) == 0 || it.Name == "" {
				t.Fatalf("item %#v lacks a name or identifiers", it)
			}
		}
	})
}
