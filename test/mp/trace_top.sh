#!/usr/bin/env bash
# reef-trace --export feeds reef-top: with the tracer running, a poller's
# details popup shows its run-time percentiles; without it, it says how to
# get them.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
[ "$(id -u)" -eq 0 ] || skip "not root: BPF and uprobes need root"
[ -d /sys/bus/event_source/devices/uprobe ] || skip "this kernel has no uprobe PMU"
readelf -n "$BIN/reefd" | grep -q 'Provider: reef$' || skip "reefd was built with CONFIG_USDT=n"

name=t_ttop_$$
tmp=$(mktemp -d /tmp/reef-trace-top.XXXXXX)
export REEF_TRACE_DIR=$tmp
pid=
tracer=
trap 'kill "$tracer" 2>/dev/null; tmux_cleanup; reap_primary "$pid" "$name"; rm -rf "$tmp" "${reefd_log:-}"' EXIT

start_reefd "$name" --move-every 0
tmux_start s "env REEF_TRACE_DIR=$tmp $BIN/reef-top -n $name -d 0.3"
tmux_wait s 30 "state running" || fail "reef-top did not start"
tmux_keys s 2 / i o _ p o l l Enter Enter
tmux_wait s 10 "Poller io_poll \(id [0-9]+\)" || fail "no io_poll details"
tmux_wait s 10 "run times: start .reef-trace -n $name --export" ||
	fail "the popup does not say how to get run times"

"$BIN"/reef-trace -n "$name" -i 0.5 --export >"$tmp/trace.log" 2>&1 &
tracer=$!
tmux_wait s 30 "run times \(reef-trace, last interval\): [0-9]+ runs  p50 [0-9.]+ ?[nuµm]?s" || {
	cat "$tmp/trace.log"
	tmux_screen s
	fail "the popup does not show reef-trace's percentiles"
}
tmux_wait s 10 "run times \(reef-trace, since attached\)" || fail "no totals line"
kill -INT "$tracer"
wait "$tracer" 2>/dev/null
tracer=
# The snapshot went with the tracer: the popup goes back to saying how to get one.
tmux_wait s 10 "run times: start .reef-trace" || fail "the popup kept a stale snapshot"
tmux_keys s q
stop_reefd "$name"
echo "ok: reef-top shows reef-trace's run-time percentiles"
