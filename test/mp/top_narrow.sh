#!/usr/bin/env bash
# reef-top on small and poor terminals: at 80x24 and 60x20 the title keeps
# [FROZEN]/[TOTALS] and the interval, the counts keep the clients, popups
# wrap (the help scrolls), the sparkline keeps its newest seconds; an unknown
# TERM and one that cannot move the cursor give one line and exit 1.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
name=t_topn_$$
pid=
trap 'tmux_cleanup; reap_primary "$pid" "$name"; rm -f "${reefd_log:-}"' EXIT

start_reefd "$name" --move-every 0
tmux_start n "$BIN/reef-top -n $name -d 0.3"
tmux_cmd resize-window -t n -x 80 -y 24
w() {
	tmux_wait n "${2:-10}" "$1" || fail "expected /$1/ on the screen"
}

w " reef-top  app $name .* state running +\[interval\] every 0.3s *$" 30
w "^ threads 8 pollers [0-9]+ \([0-9]+ paused\) reactors 2 devices 2 channels [0-9]+ clients 0$"
tmux_keys n Space t
w "\[FROZEN\] \[TOTALS\] every 0.3s *$"
tmux_keys n Space t d 1 2 0 Enter
w "\[interval\] every 120s *$"
tmux_keys n d Enter
w "\[interval\] every 120s *$"
tmux_keys n d 0 . 2 5 Enter
w "refreshing every 0.25 s"

# A thread's details at 60 columns: long lines wrap inside the box, and the
# sparkline ends with the newest value.
tmux_cmd resize-window -t n -x 60 -y 20
tmux_keys n 1 g Enter
w "Thread [a-z_0-9]+ \(id [0-9]+\)"
w "\] now [0-9]+% "
w "messages waiting [0-9]+ +│"
tmux_keys n Escape '?'
w "reef-top .*: keys"
tmux_keys n PageDown PageDown
w "q F10 +quit"
tmux_keys n x q
w "EXIT=0"
tmux_cmd kill-session -t n

for term in dumb nosuch_term; do
	tmux_cmd new-session -d -s "t$term" -x 100 -y 30 \
		"TERM=$term $BIN/reef-top -n $name; echo EXIT=\$?; sleep 120" ||
		fail "tmux could not start"
	tmux_wait "t$term" 30 "EXIT=1" || fail "TERM=$term: reef-top did not exit 1"
	[ "$(tmux_screen "t$term" | grep -c '^reef-top: ')" = 1 ] ||
		fail "TERM=$term: not one line saying why"
done

stop_reefd "$name"
echo "ok: narrow screens, interval text, wrapped popups, help scrolls, TERM errors"
