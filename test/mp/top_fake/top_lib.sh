# Helpers for test/mp/top_*.sh (sourced after common.sh): a reefd to watch,
# JSON checks, and a private tmux server to drive the screen.

# Start reefd as $1 with more options; sets $pid and $reefd_log.
start_reefd() {
	local name=$1
	shift
	reefd_log=$(mktemp)
	"$BIN"/reefd -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 "$@" >"$reefd_log" 2>&1 &
	pid=$!
	wait_for_line "$reefd_log" 60 'watch it with' || { cat "$reefd_log"; fail "reefd did not start"; }
}

# Stop reefd $pid at the end of a test: it must exit within 30 s and leave nothing.
stop_reefd() {
	local name=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! wait_exit "$pid" 30; then
		tail -n 5 "$reefd_log"
		fail "reefd did not stop within 30 s of SIGTERM"
	fi
	pid=
	check_no_leftovers "$name"
}

# Milliseconds since the epoch.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

TMUX_SOCK=reef_top_test_$$
tmux_cmd() {
	tmux -L "$TMUX_SOCK" -f /dev/null "$@"
}

# Run $2 in a 200x50 tmux window named $1; the pane stays after it exits, with EXIT=<code>.
tmux_start() {
	local session=$1 cmd=$2
	tmux_cmd new-session -d -s "$session" -x 200 -y 50 \
		"$(dirname "${BASH_SOURCE[0]}")/top_tty.sh $cmd; echo EXIT=\$?; sleep 120" ||
		fail "tmux could not start"
}

tmux_screen() {
	tmux_cmd capture-pane -t "$1" -p 2>/dev/null
}

# Wait up to $2 seconds for the screen of session $1 to match the extended regex $3.
tmux_wait() {
	local session=$1 secs=$2 pattern=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		tmux_screen "$session" | grep -Eq -- "$pattern" && return 0
		sleep 0.05
	done
	echo "---- screen of $session (waited ${secs}s for /$pattern/):"
	tmux_screen "$session"
	echo "----"
	return 1
}

tmux_keys() {
	tmux_cmd send-keys -t "$1" "${@:2}"
}

tmux_cleanup() {
	tmux_cmd kill-server 2>/dev/null
	return 0
}

# Under ASan a DPDK secondary sometimes cannot map the primary's hugepages at
# the same addresses (the sanitizer's shadow memory is in the way): EAL says
# "Cannot init memory". That is the build, not reef-top: try again.
asan_map_failed() {
	[ "${SANITIZE:-}" = 1 ] && grep -q "Cannot init memory" "$1"
}

# reef-top "$@" with stdout in $out and stderr in $err; returns its status.
top_run() {
	local i rc
	for i in 1 2 3; do
		"$BIN"/reef-top "$@" >"$out" 2>"$err"
		rc=$?
		asan_map_failed "$err" || return $rc
		echo "(retrying: $(tail -n 1 "$err"))"
	done
	return $rc
}

# Start reef-top "$@" in the background ($top); wait until its output matches $1.
top_start() {
	local pattern=$1 i j
	shift
	for i in 1 2 3; do
		"$BIN"/reef-top "$@" >"$out" 2>"$err" &
		top=$!
		for ((j = 0; j < 1200; j++)); do
			grep -q -- "$pattern" "$out" 2>/dev/null && return 0
			kill -0 "$top" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$top" 2>/dev/null && { cat "$err"; fail "reef-top printed nothing in 60 s"; }
		wait "$top" 2>/dev/null
		asan_map_failed "$err" || { cat "$out" "$err"; fail "reef-top did not start"; }
		echo "(retrying: $(tail -n 1 "$err"))"
	done
	fail "reef-top could not attach"
}
