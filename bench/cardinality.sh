#!/usr/bin/env bash
# cardinality.sh -- what a remote-write flood still costs at the cardinality
# caps (README "Security", "Cardinality at the caps"). Run by hand, not by
# `make bench`: about 12 minutes at the defaults on 2 CPUs.
#
#   bench/cardinality.sh [BUILD]     BUILD: the build directory (default build)
#
# For each cap N in CARD_SCALES (remote_write.max_series; default 100000, ten
# times the shipped default, and 10000, the shipped default, for the growth
# exponent) one fresh daemon gets
# N distinct firing ALERTS series through POST /api/v1/write, as fast as the
# daemon takes them, from 127.0.0.1:
#
#   - ALERTS only, no ALERTS_FOR_STATE: a live series each, so N series are N
#     alert instances (with ALERTS_FOR_STATE the cap holds N/2): the most
#     instances the cap lets in;
#   - half of them are identities of one alertname (CardFlood, the largest
#     alert page and per-alert analysis), the other half have an alertname
#     each (CardFlood_000001, ...: the most alertnames, per-alertname metrics
#     and co-firing kinds);
#   - remote_write.max_new_series_per_minute is 0 (no limit) for the push, so
#     it takes seconds rather than N/10000 minutes: the question is what N
#     live series cost, not how long the rate cap takes to let them in; one
#     more series is then sent and must be refused with 429 (the cap holds);
#   - analysis.cache_ttl is 0, so every timed call computes its analysis (as
#     an attacker's first call, or any call after a write, does).
#
# The daemon is then restarted on its store (the restart time is a row): its
# KPI refresh runs once at start and is timed alone, and
# metrics.refresh_interval is 1d so it does not run again while each read
# endpoint is timed CARD_RUNS times (the median printed, with the HTTP
# status when not 200); in production it runs every minute besides them.
# Peak RSS (VmHWM) is read per phase, reset before each (clear_refs), so a
# row says which call needs the memory; it includes what the daemon holds
# from the phases before. Expiry is the time from a reload that sets
# remote_write.staleness_timeout to 1s until
# alertnoise_remote_write_live_series is 0 (the check runs every 5 s, so up
# to 5 s of it is waiting). Then the daemon is restarted on the store of N
# resolved episodes the flood leaves (for storage.retention) and the KPI
# refresh and each endpoint are timed once more, each bounded by
# CARD_AFTER_TIMEOUT (a MISS restarts the daemon: a call is not cancelled
# when its client leaves). The last column is the growth exponent between
# the first two caps: log(t1/t2) / log(N1/N2).
#
# Everything listens on 127.0.0.1 only, lives under one temporary directory
# and is stopped at the end (also on Ctrl-C).
#
# Environment:
#   CARD_SCALES="100000 10000"   the caps, largest first
#   CARD_RUNS=3                  calls per endpoint
#   CARD_TIMEOUT=180             seconds a call may take (then 000, a MISS)
#   CARD_WAIT=300                seconds to wait for the KPI refresh, expiry
#   CARD_AFTER_TIMEOUT=60        seconds a call (and the KPI refresh) may
#                                take after expiry (web.request_timeout)
#   CARD_BATCH=10000             series per remote-write request
#   CARD_KEEP=1                  keep the temporary directory
set -u -o pipefail

BUILD=${1:-build}
SCALES=${CARD_SCALES:-100000 10000}
RUNS=${CARD_RUNS:-3}
TIMEOUT=${CARD_TIMEOUT:-180}
WAIT=${CARD_WAIT:-300}
AFTER_TIMEOUT=${CARD_AFTER_TIMEOUT:-60}
BATCH=${CARD_BATCH:-10000}
HERE=$(cd "$(dirname "$0")/.." && pwd)

T_START=$(date +%s)
TMP=$(mktemp -d /tmp/an-card-XXXXXX)
PID=

# The binary is copied first: a rebuild while this runs must not change it.
[ -x "$BUILD/alertnoised" ] ||
	{ echo "cardinality.sh: $BUILD/alertnoised missing; run make" >&2; exit 1; }
cp "$BUILD/alertnoised" "$TMP/alertnoised"

alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

stop_daemon() {
	local i
	alive "$PID" || { PID=; return; }
	kill -TERM "$PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		alive "$PID" || break
		sleep 0.1
	done
	alive "$PID" && kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}

cleanup() {
	stop_daemon
	if [ "${CARD_KEEP:-0}" = 1 ]; then
		echo "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
median() {
	printf '%s\n' "$@" | sort -g |
	    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# metric NAME: the sum of a family's samples in /metrics ("" if absent)
metric() {
	curl -s --max-time 30 "$URL/metrics" |
	    awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF; f = 1 }
	        END { if (f) printf "%.6f\n", s }'
}

# wait_for SECONDS CMD...: until CMD succeeds; 1 when SECONDS pass
wait_for() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		(( $(date +%s) >= end )) && return 1
		alive "$PID" || return 1
		sleep 0.5
	done
}

write_config() {	# CAP STALENESS
	cat >"$DIR/alertnoised.yml" <<-EOF
	storage:
	  path: $DIR/data
	remote_write:
	  max_series: $1
	  max_new_series_per_minute: 0
	  staleness_timeout: $2
	analysis:
	  cache_ttl: 0s
	metrics:
	  refresh_interval: 1d
	EOF
}

# The push: N series in requests of BATCH, encoded before the clock starts,
# sent on one keep-alive connection; then one more series, which the cap
# must refuse. Prints "seconds bytes non2xx extra_status".
push() {	# N
	PYTHONPATH="$HERE/tests" python3 - "$1" "$BATCH" "$PORT" <<-'EOF'
	import http.client, sys, time
	from rwenc import write_body, V1_HEADERS
	n, batch, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
	now = int(time.time() * 1000)

	def series(i):
	    name = "CardFlood" if i % 2 == 0 else "CardFlood_%06d" % i
	    return ({"__name__": "ALERTS", "alertname": name,
	             "alertstate": "firing", "job": "node",
	             "instance": "10.%d.%d.%d:9100" % (i >> 16 & 255,
	                                               i >> 8 & 255, i & 255),
	             "severity": ("critical", "warning", "info")[i % 3],
	             "team": "team-%02d" % (i % 13)}, [(1.0, now)])

	bodies = [write_body([series(i) for i in range(s, min(n, s + batch))])
	          for s in range(0, n, batch)]
	conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

	def send(body):
	    conn.request("POST", "/api/v1/write", body, V1_HEADERS)
	    r = conn.getresponse()
	    r.read()
	    return r.status

	t0 = time.monotonic()
	bad = sum(1 for b in bodies if not 200 <= send(b) < 300)
	dt = time.monotonic() - t0
	extra = send(write_body([series(n)]))
	print("%.2f %d %d %d" % (dt, sum(map(len, bodies)), bad, extra))
	EOF
}

# time_call PATH: "status seconds" of one GET
time_call() {
	curl -s -o /dev/null --max-time "$TIMEOUT" -w '%{http_code} %{time_total}\n' \
	    "$URL$1" || true
}

ENDPOINTS=(
	"/api/v1/alertnames?window=1d"
	"/api/v1/alerts/firing"
	"/api/v1/groups"
	"/api/v1/summary"
	"/api/v1/recommendations"
	"/api/v1/report"
	"/"
	"/alerts/CardFlood"
	"/metrics"
)
declare -A R	# R[row|N] = cell

live_is() { [ "$(metric alertnoise_remote_write_live_series)" = "$1.000000" ]; }
kpi_done() { [ -n "$(metric alertnoise_kpi_refresh_duration_seconds)" ] &&
	[ "$(metric alertnoise_kpi_refreshes_total)" != 0.000000 ]; }

# Peak RSS per phase: VmHWM, reset between phases (clear_refs 5, Linux 4.0+).
hwm_reset() { echo 5 >"/proc/$PID/clear_refs" 2>/dev/null; }
hwm() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status"; }
peak() {	# MB: the largest peak so far
	PEAK=$(( $1 > PEAK ? $1 : PEAK ))
}

start_daemon() {	# starts, waits until ready; sets PID
	"$TMP/alertnoised" --config.file="$DIR/alertnoised.yml" \
	    --web.listen-address="127.0.0.1:$PORT" >>"$DIR/log" 2>&1 &
	PID=$!
	if ! wait_for 120 curl -sf -o /dev/null "$URL/-/ready"; then
		echo "cardinality.sh: the daemon did not start:" >&2
		tail -n 5 "$DIR/log" >&2
		exit 1
	fi
}

say() { echo "# N=$N: $* ($(( $(date +%s) - T_START ))s)" >&2; }

for N in $SCALES; do
	DIR=$TMP/n$N
	mkdir -p "$DIR/data"
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	PEAK=0
	write_config "$N" 24h
	start_daemon
	say pushing
	read -r secs bytes bad extra < <(push "$N")
	R["push: seconds (bodies MB)|$N"]="$secs ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }'))"
	R["push: non-2xx; one more series|$N"]="$bad; $extra"
	wait_for 60 live_is "$N" || echo "# live series never reached $N" >&2
	R["VmHWM MB: start and push|$N"]=$(hwm)
	peak "$(hwm)"
	R["store MB|$N"]=$(du -sm "$DIR/data" | cut -f1)

	# The KPI refresh alone: a restart runs one at once, and
	# metrics.refresh_interval 1d keeps it from running again while the
	# reads are timed (in production it runs every minute besides them)
	say restart and KPI refresh
	stop_daemon
	write_config "$N" 24h
	t0=$(now)
	start_daemon
	R["restart to ready s|$N"]=$(since "$t0")
	R["live series after restart|$N"]=$(metric alertnoise_remote_write_live_series | cut -d. -f1)
	if wait_for "$WAIT" kpi_done; then
		R["KPI refresh s|$N"]=$(metric alertnoise_kpi_refresh_duration_seconds |
		    awk '{ printf "%.3f", $1 }')
	else
		R["KPI refresh s|$N"]=">$WAIT"
	fi
	R["VmHWM MB: restart and KPI refresh|$N"]=$(hwm)
	peak "$(hwm)"

	for ep in "${ENDPOINTS[@]}"; do
		say "$ep"
		ts=() codes=()
		hwm_reset
		for ((r = 0; r < RUNS; r++)); do
			read -r code t < <(time_call "$ep")
			ts+=("$t")
			codes+=("$code")
		done
		cell=$(median "${ts[@]}" | awk '{ printf "%.3f", $1 }')
		code=$(printf '%s\n' "${codes[@]}" | sort -u | paste -sd/)
		[ "$code" = 200 ] || cell="$cell [$code]"
		R["GET $ep s|$N"]=$cell
		R["VmHWM MB: GET $ep|$N"]=$(hwm)
		peak "$(hwm)"
	done

	say expiry
	write_config "$N" 1s
	hwm_reset
	t0=$(now)
	kill -HUP "$PID"
	if wait_for "$WAIT" live_is 0; then
		R["expiry to 0 live s|$N"]=$(since "$t0")
	else
		R["expiry to 0 live s|$N"]=">$WAIT ($(metric alertnoise_remote_write_live_series | cut -d. -f1) left)"
	fi
	R["VmHWM MB: expiry|$N"]=$(hwm)
	peak "$(hwm)"

	# After expiry the flood is N resolved (transient) episodes, kept for
	# storage.retention. Each call once, bounded by AFTER_TIMEOUT; a call
	# is not cancelled when its client leaves, so after a MISS the daemon
	# is restarted. A restart runs the KPI refresh at once, beside the
	# calls (it cannot be turned off); it is timed first.
	say after expiry: restart and KPI refresh
	stop_daemon
	t0=$(now)
	start_daemon
	if wait_for "$AFTER_TIMEOUT" kpi_done; then
		R["after expiry: KPI refresh s|$N"]=$(metric alertnoise_kpi_refresh_duration_seconds |
		    awk '{ printf "%.3f", $1 }')
	else
		R["after expiry: KPI refresh s|$N"]=">$(since "$t0") MISS"
	fi
	for ep in "${ENDPOINTS[@]}"; do
		say "after expiry: $ep"
		hwm_reset
		read -r code t < <(TIMEOUT=$AFTER_TIMEOUT time_call "$ep")
		cell=$(awk -v t="$t" 'BEGIN { printf "%.3f", t }')
		[ "$code" = 200 ] || cell="$cell [$code]"
		[ "$code" = 000 ] && cell=">$AFTER_TIMEOUT MISS"
		R["after expiry: GET $ep s|$N"]=$cell
		peak "$(hwm)"
		if [ "$code" = 000 ]; then
			stop_daemon
			start_daemon
		fi
	done
	R["VmHWM MB: largest|$N"]=$PEAK
	stop_daemon
done

# --- the table: a column per cap, and the growth exponent of the first two --
set -- $SCALES
ROWS=("push: seconds (bodies MB)|" "push: non-2xx; one more series|"
    "store MB|" "restart to ready s|" "live series after restart|"
    "KPI refresh s|")
for ep in "${ENDPOINTS[@]}"; do ROWS+=("GET $ep s|"); done
ROWS+=("expiry to 0 live s|" "VmHWM MB: start and push|"
    "VmHWM MB: restart and KPI refresh|")
for ep in "${ENDPOINTS[@]}"; do ROWS+=("VmHWM MB: GET $ep|"); done
ROWS+=("VmHWM MB: expiry|" "after expiry: KPI refresh s|")
for ep in "${ENDPOINTS[@]}"; do ROWS+=("after expiry: GET $ep s|"); done
ROWS+=("VmHWM MB: largest|")
printf '\n| %s |' "measure"
for N in "$@"; do printf ' max_series=%s |' "$N"; done
[ $# -ge 2 ] && printf ' exponent |'
printf '\n|---|'
for N in "$@"; do printf -- '---:|'; done
[ $# -ge 2 ] && printf -- '---:|'
echo
for row in "${ROWS[@]}"; do
	printf '| %s |' "${row%|}"
	for N in "$@"; do printf ' %s |' "${R[$row$N]:-}"; done
	if [ $# -ge 2 ]; then
		# log(t1/t2) / log(N1/N2), for plain positive numbers only
		awk -v a="${R[$row$1]:-}" -v b="${R[$row$2]:-}" -v n1="$1" -v n2="$2" '
		    BEGIN { if (a ~ /^[0-9.]+( \([0-9]+\))?$/ &&
		                b ~ /^[0-9.]+( \([0-9]+\))?$/ && a + 0 > 0 &&
		                b + 0 > 0 && n1 != n2)
		                printf " %.2f |", log(a / b) / log(n1 / n2)
		            else printf " |" }'
	fi
	echo
done
echo "($(( $(date +%s) - T_START ))s in all, $(nproc) CPUs)"
