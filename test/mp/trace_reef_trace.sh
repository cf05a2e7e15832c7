#!/usr/bin/env bash
# reef-trace against a real reefd: the table names reefd's pollers, message
# functions and remote handlers with ordered percentiles; --json parses and
# says the same; --export publishes a snapshot that parses, names this
# primary and goes away with reef-trace; -n finds the primary by name; a
# non-primary, an unknown name, a non-root user and a process that may not
# use BPF get one line each; the primary's exit ends reef-trace cleanly.
set -u
. "$(dirname "$0")/common.sh"

name=t_rt_$$
tmp=$(mktemp -d /tmp/reef-trace-rt.XXXXXX)
pid=
tracer=
traffic=
trap 'kill "$traffic" "$tracer" 2>/dev/null; reap_primary "$pid" "$name"; rm -rf "$tmp"' EXIT
rt=$BIN/reef-trace
export REEF_TRACE_DIR=$tmp/export

[ "$(id -u)" -eq 0 ] || skip "not root: BPF and uprobes need root"
[ -x "$rt" ] || fail "no $rt: build first"
[ -d /sys/bus/event_source/devices/uprobe ] || skip "this kernel has no uprobe PMU"
readelf -n "$BIN/reefd" | grep -q 'Provider: reef$' || skip "reefd was built with CONFIG_USDT=n"

cp "$BIN/reefd" "$tmp/reefd"
"$tmp/reefd" -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 --interrupt \
	>"$tmp/reefd.log" 2>&1 &
pid=$!
wait_for_line "$tmp/reefd.log" 30 "running '$name'" || {
	cat "$tmp/reefd.log"
	fail "reefd did not start"
}

# Remote messages for as long as process $1 runs.
post_loop() {
	while kill -0 "$1" 2>/dev/null; do
		"$BIN"/reef-post -n "$name" -t 1 -m reef.ping -w -q -c 20 || true
		"$BIN"/reef-post -n "$name" -t 2 -m reefd.echo -d hi -w -q -c 5 || true
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

# trace OUT ARGS...: run reef-trace ARGS with remote traffic while it traces.
trace() {
	local out=$1 rc
	shift
	"$rt" "$@" >"$out" 2>"$out.err" &
	tracer=$!
	wait_started "$tracer" "$out.err" "tracing primary $pid" || {
		grep -q 'not permitted' "$out.err" && skip "$(cat "$out.err")"
		cat "$out" "$out.err"
		fail "reef-trace $* did not start"
	}
	post_loop "$tracer" >/dev/null 2>&1 &
	traffic=$!
	wait_exit "$tracer" 60
	rc=$?
	wait "$traffic" 2>/dev/null
	tracer=''
	traffic=''
	[ $rc -eq 0 ] || {
		cat "$out" "$out.err"
		fail "reef-trace $*: exit $rc"
	}
}

# The table: two intervals, by pid.
trace "$tmp/table" -p "$pid" -i 1 -t 2
python3 - "$tmp/table" <<'PY' || { cat "$tmp/table"; fail "wrong table (above)"; }
import re, sys
text = open(sys.argv[1]).read()
reports = text.split("== ")[1:]
assert len(reports) == 2, f"{len(reports)} reports, expected 2"
unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
def ns(v):
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s)", v)
    assert m, f"bad duration {v}"
    return float(m.group(1)) * unit[m.group(2)]
pollers, fns, handlers = set(), set(), set()
for rep in reports:
    lines = rep.splitlines()
    assert re.match(r"\S+  app t_rt_\d+  pid \d+  interval [0-9.]+ s  TSC [0-9.]+ MHz", lines[0]), lines[0]
    section = None
    for l in lines[1:]:
        if l.startswith(("POLLER", "MESSAGE FUNCTION", "REMOTE HANDLER")):
            section = l.split()[0]
            continue
        f = l.split()
        if not f or l.startswith("  ("):
            continue
        p = [ns(x) for x in f[-4:]]
        assert p == sorted(p), f"percentiles out of order: {l}"
        if section == "POLLER":
            assert int(f[3]) > 0 and 0 <= float(f[4]) <= 100, l
            pollers.add(f[0])
        elif section == "MESSAGE":
            fns.add(f[0])
        elif section == "REMOTE":
            handlers.add(f[0])
want = {"io_poll", "nic_rx_timer", "blk_flush", "msg_sender", "client_rx"}
assert want <= pollers, f"pollers missing: {want - pollers}"
assert {"msg_arrived", "reef__request_run"} <= fns, f"functions: {fns}"
assert {"reef.ping", "reefd.echo"} <= handlers, f"handlers: {handlers}"
print(f"ok: table of {len(pollers)} pollers, functions {sorted(fns)}, handlers {sorted(handlers)}")
PY

# JSON and --export, by name.
trace "$tmp/json" -n "$name" -i 0.5 -t 3 --json --export &
tpid=$!
wait_for_line "$tmp/json" 30 '"pollers"' || fail "no JSON from reef-trace"
snap=$REEF_TRACE_DIR/$name.trace
for ((i = 0; i < 200; i++)); do
	[ -s "$snap" ] && break
	sleep 0.05
done
[ -s "$snap" ] || fail "no --export snapshot $snap"
cp "$snap" "$tmp/snapshot"
wait "$tpid" || fail "reef-trace --json --export failed"
python3 - "$tmp/json" "$tmp/snapshot" "$pid" "$name" <<'PY' || fail "wrong JSON or snapshot (above)"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
pid, name = int(sys.argv[3]), sys.argv[4]
assert 5 <= len(objs) <= 7, f"{len(objs)} intervals in 3 s at 0.5 s"
seen = set()
for o in objs:
    assert o["pid"] == pid and o["app"] == name, o
    assert 0.2 < o["interval_s"] < 2 and o["tsc_hz"] > 1e8, o["interval_s"]
    for r in o["pollers"] + o["messages"] + o["handlers"]:
        assert 0 <= r["p50_ns"] <= r["p90_ns"] <= r["p99_ns"] <= r["max_ns"], r
    for p in o["pollers"]:
        assert p["runs"] > 0 and 0 <= p["busy"] <= p["runs"] <= p["total_runs"], p
        assert p["thread_id"] > 0 and p["poller_id"] > 0, p
        seen.add(p["name"])
    seen |= {m["function"] for m in o["messages"]} | {h["name"] for h in o["handlers"]}
want = {"io_poll", "nic_rx_timer", "msg_arrived", "reef.ping"}
assert want <= seen, f"missing {want - seen}"

lines = open(sys.argv[2]).read().splitlines()
assert lines[0] == "reef-trace-export 1", lines[0]
head = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in lines[1:] if not l.startswith("poller ")}
assert head["app"] == name and int(head["primary"].split()[0]) == pid, head
assert head["interval_ms"] == "500" and int(head["tsc_hz"]) > 1e8, head
pollers = [l.split(" ", 14) for l in lines if l.startswith("poller ")]
assert int(head["end"]) == len(pollers) > 5, head["end"]
names = {p[14] for p in pollers}
assert {"io_poll", "nic_rx_timer", "client_rx"} <= names, names
for p in pollers:
    v = [int(x) for x in p[1:14]]
    assert v[8] > 0, f"poller {p[14]} never ran"
    if v[2] > 0:
        assert v[4] <= v[5] <= v[6] <= v[7], p
    assert v[9] <= v[10] <= v[11] <= v[12], p
print(f"ok: {len(objs)} JSON intervals; snapshot of {len(pollers)} pollers")
PY
[ -e "$snap" ] && fail "reef-trace left its --export snapshot behind"
echo "ok: the --export snapshot went away with reef-trace"

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
expect_error 4 "is not a Reef primary" "$rt" -p $$ -t 1
expect_error 4 "no Reef primary named 't_none_$$'" "$rt" -n "t_none_$$" -t 1
expect_error 4 "no process with pid" "$rt" -p 999999999 -t 1
expect_error 2 "either -p PID or -n NAME" "$rt" -t 1
expect_error 2 "-i wants a number" "$rt" -n "$name" -i 0
if command -v setpriv >/dev/null; then
	expect_error 3 "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$rt" -n "$name" -t 1
	expect_error 3 "BPF is not permitted" setpriv --bounding-set=-bpf,-sys_admin,-perfmon \
		"$rt" -n "$name" -t 1
fi

# The primary stops while traced: reef-trace says so and exits 0.
"$rt" -p "$pid" -i 0.2 >"$tmp/last" 2>"$tmp/last.err" &
tracer=$!
wait_for_line "$tmp/last" 60 '^== ' || fail "reef-trace did not report"
kill -TERM "$pid"
wait_exit "$pid" 30 || {
	cat "$tmp/reefd.log"
	fail "reefd did not exit cleanly while traced"
}
pid=
wait_exit "$tracer" 30 || {
	cat "$tmp/last.err"
	fail "reef-trace did not end with its primary"
}
tracer=
grep -q "primary [0-9]* (app $name) has exited" "$tmp/last.err" || {
	cat "$tmp/last.err"
	fail "reef-trace did not say the primary exited"
}
check_no_leftovers "$name"
echo "ok: reef-trace ends cleanly with its primary"
