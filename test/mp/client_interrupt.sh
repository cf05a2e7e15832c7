#!/usr/bin/env bash
# Interrupt mode across processes: the primary's reactors sleep while idle, and
# a message posted by another process still wakes the sleeping target thread
# and gets its reply.
set -u
. "$(dirname "$0")/common.sh"

name=t_intr_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

"$MP_BIN"/mp_msg_primary -m 0x3 -n "$name" --interrupt >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 '^READY' || { cat "$out"; fail "primary did not start"; }

sleeps() {
	"$MP_BIN"/mp_region_watch "$name" reactors | awk '{ s += $4 } END { print s }'
}
before=$(sleeps)
deadline=$((SECONDS + 10))
until [ "$(sleeps)" -gt "$before" ]; do
	[ $SECONDS -lt $deadline ] || fail "idle reactors never slept"
	sleep 0.2
done
"$MP_BIN"/mp_region_watch "$name" reactors | grep -q "asleep 1" || fail "no reactor is asleep while idle"

# Each call must wake a sleeping thread: well inside the 1 s timeout.
for t in t_a t_b 0; do
	out_post=$("$BIN"/reef-post -n "$name" -t "$t" -m reef.ping -w -T 1000 -c 50) ||
		fail "a sleeping thread ($t) did not answer within 1 s"
	echo "$t: $out_post"
done
[ "$(sleeps)" -gt "$before" ] || fail "sleep counter went backwards"

kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "primary did not exit cleanly"; }
pid=
check_no_leftovers "$name"
echo "ok: reactors sleep when idle; remote messages wake them"
