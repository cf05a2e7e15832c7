#!/usr/bin/env bash
# reefd on two cores runs until SIGTERM, then shuts down in order: a secondary
# watches the region go running -> stopping -> stopped; reefd exits 0 and
# leaves nothing behind.
set -u
. "$(dirname "$0")/common.sh"

name=t_app_$$
out=$(mktemp)
watch=$(mktemp)
pid=
wpid=
trap 'reap_primary "$pid" "$name"; [ -n "$wpid" ] && kill -9 "$wpid" 2>/dev/null; rm -f "$out" "$watch"' EXIT

"$BIN"/reefd -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 "watch it with" || { cat "$out"; fail "reefd did not start"; }

"$MP_BIN"/mp_region_watch "$name" 60 >"$watch" 2>&1 &
wpid=$!
wait_for_line "$watch" 20 '^READY' || { cat "$watch"; fail "watcher could not attach"; }

kill -TERM "$pid"
wait_exit "$pid" 30
rc=$?
[ $rc -eq 0 ] || { cat "$out"; fail "reefd exited with $rc after SIGTERM"; }
pid=
wait_exit "$wpid" 10 || fail "watcher did not notice the stop"
wpid=
cat "$watch"
states=$(grep '^state' "$watch" | awk '{print $2}' | tr '\n' ' ')
[ "$states" = "running stopping stopped " ] || fail "states seen: '$states'"
grep -q "shutting down" "$out" || fail "reefd did not say it was shutting down"
check_no_leftovers "$name"
echo "ok: running -> stopping -> stopped, exit 0, nothing left"
