#!/usr/bin/env bash
# Regenerates the real-export fixtures (assets.csv, network-devices.csv,
# applications.json, servers.jsonl) from assets.sql with a throwaway
# PostgreSQL cluster: no TCP port, a unix socket in a temp dir, removed on
# exit. Needs initdb, pg_ctl, postgres and psql (Debian: postgresql-15).
# The files under malformed/ are hand-made and not touched here.
set -euo pipefail
cd "$(dirname "$0")"

tmp=$(mktemp -d)
port=54329
as_pg=()
# PostgreSQL refuses to run as root; run the server as the postgres user.
if [ "$(id -u)" = 0 ]; then
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi
stop() {
  "${as_pg[@]}" pg_ctl -D "$tmp/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT

"${as_pg[@]}" initdb -D "$tmp/data" -U ripple -A trust -E UTF8 --no-locale >/dev/null
"${as_pg[@]}" pg_ctl -D "$tmp/data" -l "$tmp/log" -w \
  -o "-k $tmp -p $port -c listen_addresses=''" start >/dev/null

psql=(psql -X -q -h "$tmp" -p "$port" -U ripple -d postgres)
"${psql[@]}" -f assets.sql
"${psql[@]}" -f export.sql
echo "wrote assets.csv network-devices.csv applications.json servers.jsonl"
