#!/usr/bin/env bash
# Clients SIGKILLed at random moments (before, during, after attaching, while
# flooding and holding replies): the primary keeps serving a control client
# with nothing lost and reclaims every dead client's slot.
# KILL_ROUNDS (default 200) sets the number of rounds; KILL_SEED replays one run.
set -u
. "$(dirname "$0")/common.sh"

name=t_kill_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

# The primary on one core leaves the other to the clients being killed.
"$MP_BIN"/mp_msg_primary -m 0x1 -n "$name" --max-clients 8 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 '^READY' || { cat "$out"; fail "primary did not start"; }

"$MP_BIN"/mp_kill_driver "$name" "${KILL_ROUNDS:-200}" "$MP_BIN"/mp_msg_client ${KILL_SEED:-} ||
	fail "the primary did not survive its clients being killed"

kill -0 "$pid" || fail "the primary died"
kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "primary did not exit cleanly"; }
pid=
check_no_leftovers "$name"
echo "ok"
