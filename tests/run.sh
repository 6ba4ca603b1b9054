#!/usr/bin/env bash
# run.sh -- the test suite: unit tests, then (with "fast") the integration
# tests against the real daemon, or (with "all") those and the end-to-end
# tests against the real daemon, Alertmanager and Prometheus.
# Usage: tests/run.sh BUILD_DIR [unit|fast|all]. Ends with "tests: N
# passed, N failed" and the wall time.
set -u
build=${1:-build}
suite=${2:-all}
start=$(date +%s)
cd "$(dirname "$0")/.."
case $build in
/*)	export AN_BUILD=$build ;;
*)	export AN_BUILD=$PWD/$build ;;
esac
passed=0 failed=0

count() {	# adds the "N passed, N failed" line of a log to the totals
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))	# crashed before its summary
		return
	fi
	passed=$((passed + $(echo "$line" | awk '{print $1}')))
	failed=$((failed + $(echo "$line" | awk '{print $3}')))
}

# The unit test binaries, as many at once as there are CPUs (each has its
# own temporary directory), the slowest first; their output in name order.
out=$(mktemp -d)
njobs=$(nproc 2>/dev/null || echo 2)
tests=$(ls "$build"/tests/test_*)
for t in "$build"/tests/test_amroute $tests; do
	n=$(basename "$t")
	[ -e "$out/$n.log" ] && continue
	while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do wait -n; done
	: >"$out/$n.log"
	( "$t" >"$out/$n.log" 2>&1; echo $? >"$out/$n.rc" ) &
done
wait
for t in $tests; do
	n=$(basename "$t")
	echo "== $t"
	cat "$out/$n.log"
	count "$out/$n.log"
	rc=$(cat "$out/$n.rc" 2>/dev/null || echo 1)
	if [ "$rc" -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9]' "$out/$n.log"
	then
		echo "$t exited with $rc"
		failed=$((failed + 1))
	fi
done
rm -rf "$out"

if [ "$suite" != unit ]; then
	log=$(mktemp)
	if [ "$suite" = fast ]; then
		echo "== integration tests"
		python3 tests/runpy.py tests/integration 2>&1 | tee "$log"
	else
		echo "== integration and end-to-end tests"
		python3 tests/runpy.py 2>&1 | tee "$log"
	fi
	count "$log"
	rm -f "$log"
fi

echo "tests: $passed passed, $failed failed ($suite, $(($(date +%s) - start)) s)"
[ "$failed" -eq 0 ]
