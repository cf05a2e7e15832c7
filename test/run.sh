#!/usr/bin/env bash
# Run Reef's tests: every CUnit program, then every multi-process test.
# Each test runs in its own process with a deadline; a stuck test fails alone.
#
#   test/run.sh [NAME...]     run only tests whose name contains one of NAME
#
# Environment: BUILD_DIR (default build), SANITIZE=1 for sanitizer runs,
# UNIT_TIMEOUT / MP_TIMEOUT (seconds per test program).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "${BUILD_DIR:-$ROOT/build}" 2>/dev/null && pwd) || {
	echo "test/run.sh: no build directory ${BUILD_DIR:-$ROOT/build}: run make first"
	exit 1
}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
MP_TIMEOUT=${MP_TIMEOUT:-600}
export REEF_ROOT=$ROOT BUILD_DIR

if [ "${SANITIZE:-}" = 1 ]; then
	# Leak checking stays on for unit tests; DPDK's own start-up allocations
	# are never freed, so multi-process programs turn it off themselves.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

filters=("$@")
selected() {
	[ ${#filters[@]} -eq 0 ] && return 0
	local f
	for f in "${filters[@]}"; do
		case "$1" in *"$f"*) return 0 ;; esac
	done
	return 1
}

log_dir=$(mktemp -d /tmp/reef-test.XXXXXX)
trap 'rm -rf "$log_dir"' EXIT
failed=()
skipped=()
suites=0 tests=0 tests_failed=0 asserts=0 asserts_failed=0

echo "== unit tests ($BUILD_DIR/test/unit)"
for t in "$BUILD_DIR"/test/unit/*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	selected "$name" || continue
	out=$log_dir/$name.log
	timeout -k 5 "$UNIT_TIMEOUT" "$t" >"$out" 2>&1
	rc=$?
	# CUnit's basic summary: "tests  23  23  23  0  0" (total ran passed failed inactive).
	read -r _ _ t_ran _ t_failed _ < <(grep -E '^ +tests ' "$out" || echo "x x 0 x 0 x")
	read -r _ _ a_ran _ a_failed _ < <(grep -E '^ +asserts ' "$out" || echo "x x 0 x 0 x")
	suites=$((suites + 1))
	tests=$((tests + t_ran))
	tests_failed=$((tests_failed + t_failed))
	asserts=$((asserts + a_ran))
	asserts_failed=$((asserts_failed + a_failed))
	if [ $rc -eq 0 ]; then
		printf '  %-28s %4d tests passed\n' "$name" "$t_ran"
	else
		[ $rc -eq 124 ] && echo "  $name: TIMED OUT after ${UNIT_TIMEOUT}s"
		printf '  %-28s FAILED (exit %d)\n' "$name" "$rc"
		sed 's/^/    | /' "$out"
		failed+=("$name")
	fi
done

cat <<EOT

Run Summary:    Type  Total    Ran Passed Failed Inactive
              suites $(printf '%6d %6d %6s %6d %8d' "$suites" "$suites" n/a "${#failed[@]}" 0)
               tests $(printf '%6d %6d %6d %6d %8d' "$tests" "$tests" $((tests - tests_failed)) "$tests_failed" 0)
             asserts $(printf '%6d %6d %6d %6d %8s' "$asserts" "$asserts" $((asserts - asserts_failed)) "$asserts_failed" n/a)

EOT

echo "== multi-process tests (test/mp)"
for t in "$ROOT"/test/mp/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	# common.sh is the tests' shared helpers, not a test.
	[ "$name" = common ] && continue
	selected "$name" || continue
	out=$log_dir/mp-$name.log
	start=$(date +%s)
	timeout -k 10 "$MP_TIMEOUT" bash "$t" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) printf '  %-28s passed (%ds)\n' "$name" "$secs" ;;
	77)
		printf '  %-28s skipped: %s\n' "$name" "$(grep -m1 '^SKIP' "$out" | cut -c6-)"
		skipped+=("$name")
		;;
	*)
		[ $rc -eq 124 ] && echo "  $name: TIMED OUT after ${MP_TIMEOUT}s"
		printf '  %-28s FAILED (exit %d)\n' "$name" "$rc"
		sed 's/^/    | /' "$out"
		failed+=("$name")
		;;
	esac
done

# Tests must leave nothing behind: no hugepage files or runtime dirs of dead test
# primaries (a live one belongs to a test run going on beside this one).
live=$(lslocks -n -r -o PATH 2>/dev/null | sed -n 's|^/run/dpdk/\(reef_t_[^/]*\)/config$|\1|p')
left=$( (ls /dev/hugepages 2>/dev/null | grep '^reef_t_' | sed 's/map_[0-9]*$//'
	ls -d /var/run/dpdk/reef_t_* 2>/dev/null | xargs -r -n1 basename) |
	sort -u | grep -vxF -f <(echo "$live"; echo __none__) | head -5)
if [ -n "$left" ]; then
	echo "  leftovers after tests:"
	echo "$left" | sed 's/^/    /'
	failed+=("leftovers")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "All tests passed (${#skipped[@]} skipped${skipped:+: ${skipped[*]}})."
