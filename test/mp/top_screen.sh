#!/usr/bin/env bash
# reef-top on the screen (in tmux) against reefd: tabs, headers and rows,
# sorting, the filter, details popups, help, totals, freeze, the poller
# actions through lib/client, and q.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
name=t_tops_$$
pid=
trap 'tmux_cleanup; reap_primary "$pid" "$name"; rm -f "${reefd_log:-}"' EXIT

start_reefd "$name" --move-every 0
tmux_start s "$BIN/reef-top -n $name -d 0.3"
w() {
	tmux_wait s "${2:-10}" "$1" && return 0
	# An action needs the primary's reactors: say so if one is stuck (a reefd problem).
	"$BIN"/reef-top -n "$name" -b -i 1 -d 0.3 --tab reactors 2>&1 | grep -E "^ +[0-9]+ |^CORE"
	fail "expected /$1/ on the screen"
}

# Header: app name, pid, uptime, tick rate, counts, clients, region state.
w " reef-top  app $name  pid $pid  up [0-9:]+  tick [0-9.]+ MHz  state running" 30
w " threads 8  pollers [0-9]+ \([0-9]+ paused\)  reactors 2  io_devices 2  channels [0-9]+  clients 0"
w "1 Threads \(8\) +2 Pollers \([0-9]+\) +3 Reactors \(2\) +4 Channels \([0-9]+\)"
w "^NAME +ID CORE STATE +ACT TIMED PAUSED +MSGS/s +BUSY% +BUSY_us +IDLE_us CHAN"
w "^worker_1_2 +7 +1 "
w "^app_thread +1 +0 "
w "sort BUSY% desc"

# Sort: > moves to the next column, r reverses it.
tmux_keys s '>'
w "sort BUSY_us desc"
tmux_keys s r
w "sort BUSY_us asc"
tmux_keys s '<' '<' '<' '<' '<' '<' '<' '<' '<' r
w "sort NAME asc"
screen=$(tmux_screen s | sed -n '/^NAME /,/^$/p' | tail -n +2 | awk 'NF > 4 {print $1}')
[ "$screen" = "$(echo "$screen" | sort -V)" ] || { echo "$screen"; fail "not sorted by name"; }

# Pollers tab, filter by name (as typed), Esc clears it.
tmux_keys s 2
w "^NAME +THREAD +ID CORE KIND +STATE +PERIOD +RUNS/s +BUSY/s +BUSY% +CPU% +CYC/RUN"
w "^io_poll +worker_"
tmux_keys s / h e a l t h
w 'filter "health"'
tmux_keys s Enter
w 'filter "health"'
rows=$(tmux_screen s | sed -n '/^NAME /,/^$/p' | tail -n +2 | awk 'NF > 4')
[ "$(echo "$rows" | wc -l)" -eq 7 ] && ! echo "$rows" | grep -qv "^health_check " ||
	{ echo "$rows"; fail "the filter shows other rows"; }

# Details of a poller, with its sparkline; P and T act on it through the primary.
tmux_keys s Enter
w "Poller health_check \(id [0-9]+\)"
w "Busy % \(runs that found work\), last 60 s"
tmux_keys s T
w "poller [0-9]+ \(health_check\) timing on" 15
w "timing on: "
tmux_keys s P
w "poller [0-9]+ \(health_check\) paused" 15
w "state paused \(paused\)"
tmux_keys s P
w "poller [0-9]+ \(health_check\) resumed" 15
w "clients 1"
tmux_keys s Escape
tmux_keys s Escape
w "^flapper +worker_"

# Reactors and their details; channels with their devices.
tmux_keys s 3
w "^CORE STATE +THREADS POLLERS +BUSY% +ITER/s INTR SLEEP% STALLS LONGEST_us CULPRIT"
w "^ +0 [a-z]+ +[0-9]+ +[0-9]+ "
w "^ +1 [a-z]+ +[0-9]+ +[0-9]+ "
tmux_keys s Enter
w "Reactor on core 0"
w "Threads \([0-9]+\) +NAME"
tmux_keys s Escape 4
w "io_devices: +fake_blk0 \([0-9]+ channels\) +fake_nic0 \([0-9]+ channels\)"
w "^DEVICE +DEV_ID THREAD +TID CORE +REFS +AGE_s"
w "^fake_blk0 +1 worker_"

# Threads: details list the thread's pollers and channels.
tmux_keys s 1 g Enter
w "Thread [a-z_0-9]+ \(id [0-9]+\)" 5
w "Pollers \([0-9]+\)"
w "io_channels \([0-9]+\)"
tmux_keys s Escape

# Help, totals, freeze, delay.
tmux_keys s '?'
w "reef-top .*: keys"
tmux_keys s x t
w "\[TOTALS\]"
w " MSGS +BUSY% "
tmux_keys s Space
w "\[FROZEN\]"
tmux_keys s Space t d 2 Enter
w "\[interval\] every 2s"

tmux_keys s q
w "EXIT=0"
stop_reefd "$name"
echo "ok: tabs, sort, filter, details, actions, help, totals, freeze, delay, quit"
