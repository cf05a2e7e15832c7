#!/usr/bin/env bash
# A shutdown that cannot finish (a thread whose poller is never unregistered
# waits out the 5 s exit timeout) ends at once on a second signal, with a
# message saying so.
set -u
. "$(dirname "$0")/common.sh"

name=t_sig_$$
out=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out"' EXIT

"$MP_BIN"/mp_msg_primary -m 0x1 -n "$name" >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 '^READY' || { cat "$out"; fail "primary did not start"; }
"$BIN"/reef-post -n "$name" -t t_a -m test.stuck -w >/dev/null || fail "test.stuck"

kill -TERM "$pid"
wait_for_line "$out" 10 "shutting down" || fail "no shutdown after the first signal"
kill -0 "$pid" || fail "the primary stopped although a thread could not exit"
start=$(date +%s%N)
kill -INT "$pid"
wait_exit "$pid" 3
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 130 ] || { cat "$out"; fail "exit $rc after the second signal, expected 130"; }
[ "$took" -lt 1000 ] || fail "took ${took} ms to exit after the second signal"
grep -q "second signal: exiting now" "$out" || { cat "$out"; fail "no message about the second signal"; }
pid=
echo "ok: second signal ended a stuck shutdown in ${took} ms"
