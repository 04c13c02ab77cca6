#!/bin/sh
# Regenerates the nmap fixtures in this directory with the real tool.
#
# Needs: root (for -sS and -O), nmap (Debian's 7.93 made the committed
# files), python3 (for listeners.py). Scans only 127.0.0.x. Takes about
# 15 minutes: -sV waits for every probe to time out on the silent listener.
#
# Usage: sudo sh importers/nmap/testdata/generate.sh
set -eu
cd "$(dirname "$0")"

NMAP=${NMAP:-nmap}
PORTS=22,80,5432,8080,9000-9010
ALL="127.0.0.2:22:ssh 127.0.0.2:80:http 127.0.0.3:5432:silent 127.0.0.3:8080:http 127.0.0.4:9001:http"
# 127.0.0.3:8080 stopped: the host stays up, the port answers "closed".
NO8080="127.0.0.2:22:ssh 127.0.0.2:80:http 127.0.0.3:5432:silent 127.0.0.4:9001:http"

LPID=
READY=$(mktemp)
stop() {
	if [ -n "$LPID" ]; then
		kill "$LPID" 2>/dev/null || true
		wait "$LPID" 2>/dev/null || true
		LPID=
	fi
}
start() {
	stop
	: >"$READY"
	# shellcheck disable=SC2086 # the specs are meant to split
	python3 listeners.py $1 >"$READY" &
	LPID=$!
	i=0
	until grep -q ready "$READY"; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			echo "listeners did not start" >&2
			exit 1
		fi
		sleep 0.2
	done
}
trap 'stop; rm -f "$READY"' EXIT INT TERM

start "$ALL"
# Privileged SYN scan with version detection: the reference scan.
$NMAP -sV -p $PORTS -oX scan-3hosts.xml 127.0.0.2-4
# The same scan again: only times, RTTs and the file name differ, so the
# parser must produce identical items.
$NMAP -sV -p $PORTS -oX scan-3hosts-rescan.xml 127.0.0.2-4
# Unprivileged connect scan (what a non-root user gets), target first.
# nmap's getopt permutes argv, so the recorded args still end with the
# target; the scope is the same. This variant also writes <hosthint>s.
$NMAP 127.0.0.2-4 --unprivileged -oX scan-3hosts-connect.xml -sT -sV -p $PORTS
# Every 127.x address answers on Linux, so a vanished host cannot be made
# by stopping listeners: --exclude leaves 127.0.0.3 out of the scan while
# the target list (the scope) stays 127.0.0.2-4.
$NMAP -sV -p $PORTS --exclude 127.0.0.3 -oX scan-host-gone.xml 127.0.0.2-4
# OS detection (root only): fills <os>/<osmatch>.
$NMAP -sS -sV -O -p $PORTS -oX scan-os.xml 127.0.0.2 127.0.0.4

start "$NO8080"
$NMAP -sV -p $PORTS -oX scan-port-closed.xml 127.0.0.2-4

# A target given by name: nmap reports it as a "user" hostname and adds
# the PTR name it resolved (both "localhost" from /etc/hosts).
start "127.0.0.1:9007:http"
$NMAP -sV -p 9007 -oX scan-localhost.xml localhost
stop

# A scan cut off in the middle of the second host, as when nmap is killed
# or a copy is interrupted.
cut=$(grep -b -o '<host ' scan-3hosts.xml | sed -n 2p | cut -d: -f1)
head -c $((cut + 300)) scan-3hosts.xml >truncated.xml
