#!/usr/bin/env bash
# A client waiting for a reply learns within 2 s that its primary was
# SIGKILLed (reef-post exits 6 with one line), and a client of a primary that
# stops cleanly is told it is shutting down.
set -u
. "$(dirname "$0")/common.sh"

name=t_pdie_$$
out=$(mktemp)
err=$(mktemp)
pid=
trap 'reap_primary "$pid" "$name"; rm -f "$out" "$err"' EXIT

start_primary() {
	"$MP_BIN"/mp_msg_primary -m 0x1 -n "$name" >"$out" 2>&1 &
	pid=$!
	wait_for_line "$out" 30 '^READY' || { cat "$out"; fail "primary did not start"; }
}

# wait_for_hung: until the primary holds one test.hang request (reef-top would show it too).
start_primary
"$BIN"/reef-post -n "$name" -t t_a -m test.hang -w -T 60000 2>"$err" &
client=$!
# The request is in the primary once the client is attached and its request was taken.
deadline=$((SECONDS + 20))
until "$BIN"/reef-post -n "$name" -l >/dev/null 2>&1 && [ -n "$(ls /var/run/dpdk/reef_$name 2>/dev/null)" ] &&
	python3 - "$name" <<'PY'; do
import sys
sys.exit(0)
PY
	[ $SECONDS -lt $deadline ] || fail "client never attached"
	sleep 0.1
done
sleep 0.5 # let the request reach the handler: the client is already blocked in its wait
kill -9 "$pid"
wait "$pid" 2>/dev/null
killed_at=$(date +%s%N)
pid=
wait_exit "$client" 10
rc=$?
took=$((($(date +%s%N) - killed_at) / 1000000))
[ $rc -eq 6 ] || { cat "$err"; fail "client exit $rc after its primary died, expected 6"; }
[ "$took" -lt 2000 ] || fail "the client took ${took} ms to notice"
grep -q "has died" "$err" || fail "unclear: $(cat "$err")"
[ "$(wc -l <"$err")" -eq 1 ] || fail "expected one line: $(cat "$err")"
echo "ok: waiting client told in ${took} ms: $(cat "$err")"
reap_primary "" "$name"

start_primary
"$BIN"/reef-post -n "$name" -t t_a -m test.hang -w -T 60000 2>"$err" &
client=$!
sleep 0.5
kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "primary did not exit cleanly"; }
pid=
wait_exit "$client" 10
rc=$?
# The primary answered the held request on its way out, or the client saw it stop.
[ $rc -eq 7 ] || [ $rc -eq 6 ] || { cat "$err"; fail "client exit $rc after a clean stop"; }
check_no_leftovers "$name"
echo "ok: clean stop: $(cat "$err")"
