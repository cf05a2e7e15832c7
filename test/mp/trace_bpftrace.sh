#!/usr/bin/env bash
# Every tools/bpf/*.bt script, run through tools/bpftrace.sh against a real
# reefd (interrupt mode, a stall every second, remote messages from
# reef-post), prints non-empty output naming reefd's real pollers, message
# functions, threads and handlers. The wrapper lists exactly the probes
# readelf shows, and refuses a non-primary, a non-root user and a process
# that may not use BPF with one line each.
set -u
. "$(dirname "$0")/common.sh"

name=t_bt_$$
tmp=$(mktemp -d /tmp/reef-trace-bt.XXXXXX)
pid=
traffic=
tracer=
trap 'kill "$traffic" 2>/dev/null; [ -z "$tracer" ] || kill -INT -- -"$tracer" 2>/dev/null
	reap_primary "$pid" "$name"; rm -rf "$tmp"' EXIT
wrapper=$REEF_ROOT/tools/bpftrace.sh

# Can this machine run it at all?
[ "$(id -u)" -eq 0 ] || skip "not root: BPF and uprobes need root"
command -v bpftrace >/dev/null || skip "bpftrace is not installed (tools/pkgdep.sh)"
[ -d /sys/bus/event_source/devices/uprobe ] || skip "this kernel has no uprobe PMU"
if ! timeout 60 bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>"$tmp/bpf.err"; then
	skip "BPF is not permitted here: $(grep ERROR "$tmp/bpf.err" | grep -v RLIMIT_MEMLOCK | head -1)"
fi
readelf -n "$BIN/reefd" | grep -q 'Provider: reef$' || skip "reefd was built with CONFIG_USDT=n"

# A private copy: a rebuild of build/bin/reefd while we trace must not matter.
cp "$BIN/reefd" "$tmp/reefd"
"$tmp/reefd" -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 --interrupt \
	--stall-every 1 >"$tmp/reefd.log" 2>&1 &
pid=$!
wait_for_line "$tmp/reefd.log" 30 "running '$name'" || {
	cat "$tmp/reefd.log"
	fail "reefd did not start"
}

# -l: the probes readelf lists, each once.
timeout 60 "$wrapper" -l "$pid" >"$tmp/list" 2>"$tmp/list.err" || {
	cat "$tmp/list.err"
	fail "bpftrace.sh -l failed"
}
sed -n 's/^usdt:.*:reef:\([a-z_]*\)$/\1/p' "$tmp/list" | sort >"$tmp/listed"
readelf -n "$tmp/reefd" | awk '/Provider: reef$/ { p = 1; next } p && /Name:/ { print $2; p = 0 }' |
	sort -u >"$tmp/notes"
cmp -s "$tmp/listed" "$tmp/notes" || {
	diff "$tmp/listed" "$tmp/notes"
	fail "bpftrace.sh -l does not list the probes readelf shows"
}
echo "ok: bpftrace.sh -l lists the $(wc -l <"$tmp/notes") probes"

# expect_error RC PATTERN CMD...: one line on stderr matching PATTERN, exit RC.
expect_error() {
	local want=$1 pattern=$2 err rc
	shift 2
	err=$(timeout 60 "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq "$want" ] || fail "$*: exit $rc, expected $want ($err)"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$*: expected one line, got: $err"
	printf '%s\n' "$err" | grep -q -- "$pattern" || fail "$*: unclear error: $err"
	echo "ok: $err"
}
expect_error 4 "is not a Reef primary" "$wrapper" $$ "$REEF_ROOT/tools/bpf/stall.bt" 1
expect_error 4 "no process with pid" "$wrapper" 999999999 "$REEF_ROOT/tools/bpf/stall.bt" 1
expect_error 2 "no script" "$wrapper" "$pid" "$tmp/none.bt" 1
if command -v setpriv >/dev/null; then
	expect_error 3 "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$wrapper" "$pid" "$REEF_ROOT/tools/bpf/stall.bt" 1
	expect_error 3 "BPF is not permitted" setpriv --bounding-set=-bpf,-sys_admin,-perfmon \
		"$wrapper" "$pid" "$REEF_ROOT/tools/bpf/stall.bt" 1
fi

# The thread ids reefd has: what the per-thread script must name. (A secondary's
# start can fail now and then when DPDK cannot map the primary's memory at the
# same address: try again.)
for ((i = 0; i < 5; i++)); do
	"$BIN"/reef-post -n "$name" -l >"$tmp/threads" 2>"$tmp/threads.err" && break
done
[ $i -lt 5 ] || fail "reef-post -l failed: $(cat "$tmp/threads.err")"
awk '/^[0-9]/ { print $1 }' "$tmp/threads" | sort -u >"$tmp/thread_ids"

# Remote messages for as long as the tracer runs; $tmp/posted counts the rounds
# in which both handlers answered.
post_loop() {
	while kill -0 "$1" 2>/dev/null; do
		"$BIN"/reef-post -n "$name" -t 1 -m reef.ping -w -q -c 20 &&
			"$BIN"/reef-post -n "$name" -t 2 -m reefd.echo -d hi -w -q -c 5 &&
			echo round >>"$tmp/posted"
	done
}

# Wait up to 60 s for process $1 to write a line matching $3 to file $2; fail fast if it exits.
wait_started() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	grep -q -- "$3" "$2" 2>/dev/null
}

# run_script NAME SECONDS: run tools/bpf/NAME.bt; its output in $tmp/NAME.out.
# remote_msg_latency runs instead until two rounds of requests were answered
# (a loaded machine can take seconds to start a reef-post), then gets Ctrl-C.
run_script() {
	local s=$1 secs=$2 out=$tmp/$1.out wpid rc i
	if [ "$s" = remote_msg_latency ]; then
		# Its own process group, so that the Ctrl-C reaches bpftrace as from a terminal.
		setsid "$wrapper" "$pid" "$REEF_ROOT/tools/bpf/$s.bt" >"$out" 2>"$tmp/$s.err" &
	else
		"$wrapper" "$pid" "$REEF_ROOT/tools/bpf/$s.bt" "$secs" >"$out" 2>"$tmp/$s.err" &
	fi
	wpid=$!
	[ "$s" != remote_msg_latency ] || tracer=$wpid
	wait_started "$wpid" "$out" '^Tracing' || {
		cat "$out" "$tmp/$s.err"
		fail "$s.bt did not start tracing"
	}
	if [ "$s" = remote_msg_latency ]; then
		rm -f "$tmp/posted"
		post_loop "$wpid" >/dev/null 2>&1 &
		traffic=$!
		for ((i = 0; i < 1200; i++)); do
			[ -f "$tmp/posted" ] && [ "$(wc -l <"$tmp/posted")" -ge 2 ] && break
			kill -0 "$wpid" 2>/dev/null || break
			sleep 0.05
		done
		[ $i -lt 1200 ] || fail "reef-post got no answers within 60 s"
		kill -INT -- -"$wpid" 2>/dev/null
	fi
	wait_exit "$wpid" $((secs + 60))
	rc=$?
	tracer=
	if [ -n "$traffic" ]; then
		wait "$traffic" 2>/dev/null
		traffic=
	fi
	[ $rc -eq 0 ] || {
		cat "$out" "$tmp/$s.err"
		fail "$s.bt: exit $rc"
	}
	[ -s "$out" ] || fail "$s.bt printed nothing"
	[ -n "$(tail -n 1 "$out")" ] || fail "$s.bt: output ends in blank lines"
}

# expect SCRIPT REGEX WHAT: the script's output has a line matching REGEX.
expect() {
	grep -E -q -- "$2" "$tmp/$1.out" || {
		cat "$tmp/$1.out"
		fail "$1.bt: no $3"
	}
}

run_script msg_per_fn 2
expect msg_per_fn '^@sent\[msg_arrived\]: [1-9]' "messages sent to msg_arrived"
expect msg_per_fn '^@executed\[msg_arrived\]: [1-9]' "messages run by msg_arrived"
expect msg_per_fn '^@exec_cycles\[msg_arrived\]: [1-9]' "cycles of msg_arrived"
echo "ok: msg_per_fn.bt names reefd's message functions"

run_script poller_latency 2
for p in io_poll nic_rx_timer blk_flush msg_sender; do
	expect poller_latency "^@cycles\[$p\]:" "histogram of $p"
	expect poller_latency "^@runs\[$p\]: [1-9]" "runs of $p"
done
expect poller_latency '^\[[0-9]+[KMG]?, [0-9]+[KMG]?\) +[0-9]+ \|@' "histogram bucket"
echo "ok: poller_latency.bt shows a histogram per poller name"

run_script poller_busy 2
expect poller_busy '^@polls\[[0-9]+, busy\]: [1-9]' "busy polls"
expect poller_busy '^@polls\[[0-9]+, idle\]: [1-9]' "idle polls"
expect poller_busy '^@cycles\[[0-9]+, busy\]: [1-9]' "busy cycles"
expect poller_busy '^@busy_pollers\[[0-9]+, (io_poll|nic_rx_timer|blk_flush|msg_sender)\]: [1-9]' \
	"busy poller names"
sed -n 's/^@polls\[\([0-9]*\), .*/\1/p' "$tmp/poller_busy.out" | sort -u >"$tmp/busy_ids"
[ "$(comm -23 "$tmp/busy_ids" "$tmp/thread_ids")" = "" ] ||
	fail "poller_busy.bt names threads reefd does not have: $(comm -23 "$tmp/busy_ids" "$tmp/thread_ids" | tr '\n' ' ')"
[ "$(wc -l <"$tmp/busy_ids")" -ge 6 ] || fail "poller_busy.bt saw only threads $(tr '\n' ' ' <"$tmp/busy_ids")"
echo "ok: poller_busy.bt counts busy and idle polls of $(wc -l <"$tmp/busy_ids") real threads"

run_script reactor_wake 2
expect reactor_wake '^@sleeps\[[01]\]: [1-9]' "sleeps per reactor"
expect reactor_wake '^@sleep_us\[[01]\]:' "time asleep per reactor"
expect reactor_wake '^@wake_to_msg_ns:' "wake-up latency histogram"
echo "ok: reactor_wake.bt measures sleeps and wake-ups"

run_script remote_msg_latency 2
expect remote_msg_latency '^@latency_ns\[reef\.ping\]:' "latency of reef.ping"
expect remote_msg_latency '^@latency_ns\[reefd\.echo\]:' "latency of reefd.echo"
expect remote_msg_latency '^@replies\[reef\.ping, ok\]: [1-9]' "replies of reef.ping"
expect remote_msg_latency '^@by_client\[[0-9]+\]: [1-9]' "requests per client"
echo "ok: remote_msg_latency.bt measures receive to reply per handler"

run_script stall 3
# The culprit is whatever the reactor's watcher last saw running (lib/event/stall.c):
# on a loaded machine the deliberate stall may be blamed on a neighbour, so any
# culprit will do here, in either form of the line.
expect stall '^[0-9:]+ reactor [01] stalled for [0-9]+ cycles in [^ ].* \(thread [0-9]+(, poller [1-9][0-9]*)?\)$' \
	"stall line with its culprit"
expect stall '^@stalls\[[^]]+\]: [1-9]' "stalls per culprit"
expect stall '^@stall_cycles:' "stall length histogram"
grep -q '^@stalls\[slow_poller\]: [1-9]' "$tmp/stall.out" ||
	echo "note: no stall blamed on slow_poller, the deliberate one (a loaded machine?)"
echo "ok: stall.bt reports the stalls"

# A bare name is a script of tools/bpf/.
timeout 60 "$wrapper" "$pid" stall 1 >"$tmp/bare.out" 2>"$tmp/bare.err" || {
	cat "$tmp/bare.out" "$tmp/bare.err"
	fail "bpftrace.sh PID stall 1 failed"
}
grep -q '^Tracing stalls' "$tmp/bare.out" || fail "bpftrace.sh PID stall did not run stall.bt"
echo "ok: bpftrace.sh takes a script's bare name"

kill -TERM "$pid"
wait_exit "$pid" 30 || {
	cat "$tmp/reefd.log"
	fail "reefd did not exit cleanly after tracing"
}
pid=
check_no_leftovers "$name"
echo "ok: reefd exits cleanly after being traced"
