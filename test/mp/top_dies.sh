#!/usr/bin/env bash
# SIGKILL the primary while reef-top watches it: in batch mode and on the
# screen, reef-top says the primary died (one line) and exits 1 within 2 s.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
name=t_topd_$$
out=$(mktemp)
err=$(mktemp)
pid=
top=
trap 'tmux_cleanup; [ -n "$top" ] && kill -9 "$top" 2>/dev/null; reap_primary "$pid" "$name"
	rm -f "$out" "$err" "${reefd_log:-}"' EXIT

# Kill $pid, note when, and forget it (its files are reaped afterwards).
kill_primary() {
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	killed=$(now_ms)
}

# Batch: watching (its first table is out), then the primary is killed.
start_reefd "$name" --move-every 0
top_start '^reactors' -n "$name" -b -d 0.2 --tab reactors
kill_primary
wait_exit "$top" 5
rc=$?
took=$(($(now_ms) - killed))
top=
[ $rc -eq 1 ] || { cat "$err"; fail "batch reef-top exit $rc after its primary died, expected 1"; }
[ "$took" -lt 2000 ] || fail "batch reef-top took $took ms to notice"
[ "$(wc -l <"$err")" -eq 1 ] && grep -q "^reef-top: primary '$name' (pid $pid) died$" "$err" ||
	fail "batch: unclear: $(cat "$err")"
echo "ok: batch told in $took ms: $(cat "$err")"
reap_primary "" "$name"
pid=

# Screen, with a long interval that must not delay the news: the message is
# shown on it, then printed on the terminal.
start_reefd "$name" --move-every 0
tmux_start top "$BIN/reef-top -n $name -d 5"
tmux_wait top 30 "1 Threads \([0-9]+\)" || fail "the screen did not come up"
tmux_wait top 10 "worker_1_0" || fail "no thread rows on the screen"
# With a client attached too (an action was taken): detaching must not wait for the dead.
tmux_keys top 2 T
tmux_wait top 15 " clients 1" || fail "the timing action did not attach a client"
kill_primary
tmux_wait top 3 "primary '$name' \(pid $pid\) died" || fail "the screen did not say the primary died"
tmux_wait top 3 "EXIT=1" || fail "reef-top did not exit 1"
took=$(($(now_ms) - killed))
[ "$took" -lt 2500 ] || fail "reef-top took $took ms to exit"
tmux_screen top | grep -q "^reef-top: primary '$name' (pid $pid) died$" ||
	{ tmux_screen top; fail "no line on the terminal after the screen closed"; }
reap_primary "" "$name"
pid=
echo "ok: the screen said so and reef-top exited 1 in $took ms"
