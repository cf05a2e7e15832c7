#!/usr/bin/env bash
# A secondary reads a consistent, live snapshot of a real primary's region;
# after the primary exits, attaching fails with one clear line.
set -u
. "$(dirname "$0")/common.sh"

name=t_shm_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

"$MP_BIN"/mp_shm_primary "$name" 60 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 20 '^READY' || { cat "$out"; fail "primary did not start"; }

timeout 30 "$MP_BIN"/mp_shm_reader "$name" "$pid" || fail "reader saw a wrong region"

kill -TERM "$pid"
wait_exit "$pid" 20
rc=$?
[ $rc -eq 0 ] || { cat "$out"; fail "primary exited with $rc"; }
pid=
check_no_leftovers "$name"

err=$(timeout 30 "$MP_BIN"/mp_shm_reader "$name" 0 2>&1)
rc=$?
[ $rc -ne 0 ] || fail "attach to a stopped primary succeeded"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "expected one line, got: $err"
echo "$err" | grep -q "no Reef primary named '$name' is running" || fail "unclear error: $err"
check_no_leftovers "$name"
echo "ok: live snapshot read, clean exit, clear error after exit"
