#!/usr/bin/env bash
# Bad options and a duplicate name: one clear line each, the right exit code,
# and the running primary untouched.
set -u
. "$(dirname "$0")/common.sh"

name=t_err_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

# expect_error EXPECTED_RC PATTERN -- ARGS...: one line on stderr matching PATTERN.
expect_error() {
	local want=$1 pattern=$2 err rc
	shift 3
	err=$(timeout 30 "$BIN"/reefd "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq "$want" ] || fail "reefd $*: exit $rc, expected $want ($err)"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "reefd $*: expected one line, got: $err"
	printf '%s\n' "$err" | grep -q -- "$pattern" || fail "reefd $*: unclear error: $err"
	echo "ok: reefd $* -> $err"
}

expect_error 2 "unknown option '--bogus'" -- --bogus
expect_error 2 "is empty" -- -m 0x0 -n "$name"
expect_error 2 "bad core mask" -- -m zz -n "$name"
expect_error 2 "not available here" -- -m 0x80000 -n "$name"
expect_error 2 "--max-threads wants a number" -- --max-threads 0 -n "$name"
expect_error 2 "--max-pollers wants a number" -- --max-pollers abc -n "$name"
expect_error 2 "needs a value" -- -n
expect_error 2 "bad name" -- -n 'has space'
expect_error 2 "bad name" -- -n this_name_is_far_too_long
expect_error 2 "unexpected argument" -- -n "$name" stray
expect_error 2 "power of two" -- --msg-ring-size 1000 -n "$name"

"$BIN"/reefd -m 0x1 -n "$name" --max-threads 32 --max-pollers 512 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 "watch it with" || { cat "$out"; fail "reefd did not start"; }
expect_error 1 "already running (pid $pid)" -- -m 0x2 -n "$name"
kill -0 "$pid" || fail "the first primary died"
kill -TERM "$pid"
wait_exit "$pid" 30 || fail "first primary did not exit cleanly"
pid=
check_no_leftovers "$name"
"$BIN"/reefd --help | grep -q -- "--stall-every" || fail "--help lacks reefd's options"
"$BIN"/reefd --version | grep -q "Reef" || fail "--version"
echo "ok: every bad input refused in one line"
