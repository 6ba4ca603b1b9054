#!/bin/sh
# capture.sh -- records real remote-write 1.0 requests from Debian's
# Prometheus into OUTDIR (default /tmp/rw-capture), for SECONDS (default 40).
# Everything listens on 127.0.0.1; both processes are stopped at the end.
# See README.txt for which captured bodies were kept and why.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/rw-capture}
secs=${2:-40}
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
sink_port=$(freeport)
prom_port=$(freeport)
work=$(mktemp -d)
mkdir -p "$out"
sed -e "s|@RULES@|$here/rules.yml|" -e "s|@PROM_PORT@|$prom_port|" \
    -e "s|@SINK_PORT@|$sink_port|" "$here/prometheus.yml.in" > "$work/prometheus.yml"
promtool check config "$work/prometheus.yml" >/dev/null
python3 "$here/capture_server.py" "$sink_port" "$out" &
sink=$!
/usr/bin/prometheus --config.file="$work/prometheus.yml" \
    --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
prom=$!
sleep "$secs"
kill "$prom"
wait "$prom" || true
kill "$sink"
wait "$sink" 2>/dev/null || true
prometheus --version 2>&1 | head -n 1 > "$out/VERSION"
cp "$work/prometheus.yml" "$out/"
rm -rf "$work"
echo "captured $(ls "$out"/*.snappy | wc -l) requests into $out"
