#!/usr/bin/env bash
# run.sh -- the test suite: unit tests, then the integration tests against
# the real daemon, then (with "all") the end-to-end tests against the real
# daemon, Alertmanager and Prometheus.
# Usage: tests/run.sh BUILD_DIR [fast|all]. Ends with "tests: N passed, N
# failed" and the wall time.
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

log=$(mktemp)
for t in "$build"/tests/test_*; do
	echo "== $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	count "$log"
	if [ $rc -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9]' "$log"; then
		echo "$t exited with $rc"
		failed=$((failed + 1))
	fi
done

if [ "$suite" = fast ]; then
	echo "== integration tests"
	python3 tests/runpy.py tests/integration 2>&1 | tee "$log"
else
	echo "== integration and end-to-end tests"
	python3 tests/runpy.py 2>&1 | tee "$log"
fi
count "$log"
rm -f "$log"

echo "tests: $passed passed, $failed failed ($suite, $(($(date +%s) - start)) s)"
[ "$failed" -eq 0 ]
