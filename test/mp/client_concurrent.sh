#!/usr/bin/env bash
# Four clients post concurrently to threads on two reactors: every message is
# delivered exactly once and in order per client (counted by the primary).
set -u
. "$(dirname "$0")/common.sh"

name=t_cc_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

"$MP_BIN"/mp_msg_primary -m 0x3 -n "$name" >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 '^READY' || { cat "$out"; fail "primary did not start"; }

pids=()
for i in 1 2 3 4; do
	timeout 120 "$MP_BIN"/mp_msg_client "$name" count 20000 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a client saw lost, duplicated or reordered messages"
done

kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "primary did not exit cleanly"; }
pid=
check_no_leftovers "$name"
echo "ok: 4 x 20000 messages, each delivered once, in order"
