#!/usr/bin/env bash
# reef-top on a region of the size issue 5 names (1024 threads, 65536
# pollers) that churns as fast as it can: threads exit and come back in
# reused slots and move between cores during every snapshot. Batch and the
# screen keep up, and nothing crashes or shows a thread twice.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
name=t_topg_$$
out=$(mktemp)
err=$(mktemp)
pid=
trap 'tmux_cleanup; reap_primary "$pid" "$name"; rm -f "$out" "$err"' EXIT

"$MP_BIN"/mp_top_fake "$name" big 120 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 60 '^READY' || { cat "$out"; fail "fake primary did not start"; }

start=$(now_ms)
top_run -n "$name" -b --json --tab threads,reactors -i 3 -d 0.3 ||
	{ cat "$err"; fail "reef-top failed on a big churning region"; }
took=$(($(now_ms) - start))
python3 - "$out" <<'PY' || fail "wrong view of the big region (above)"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 3, len(objs)
for o in objs:
    ids = [t["id"] for t in o["threads"]]
    # A churning thread may be between its exit and its return: 1024 at most, never twice.
    assert 1000 <= len(ids) <= 1024 and len(ids) == len(set(ids)), len(ids)
    assert sum(t["pollers"] for t in o["threads"]) >= 1000 * 64
    for t in o["threads"]:
        assert t["core"] in (0, 1, None), t
        assert t["busy_pct"] is None or 0 <= t["busy_pct"] <= 100, t
    assert 0.2 < o["interval_s"] < 5, o["interval_s"]
print("big region ok:", len(objs[-1]["threads"]), "threads")
PY
echo "batch: 3 iterations in $took ms"

tmux_start g "$BIN/reef-top -n $name -d 0.5"
tmux_wait g 30 "threads 10[0-9][0-9]  pollers 6[0-9]{4} " || fail "the big region did not show"
tmux_wait g 10 "^fake_[0-9]+_[0-9]+ " || fail "no thread rows"
# Keys answer at once even with 65536 rows to sort: well under a refresh.
t0=$(now_ms)
tmux_keys g 2
tmux_wait g 5 "^fake_poller_[0-9]+ +fake_" || fail "no poller rows"
t_tab=$(($(now_ms) - t0))
t0=$(now_ms)
tmux_keys g End
tmux_wait g 5 "^fake_poller_[0-9]+ .*" || fail "End lost the rows"
tmux_keys g / 'fake_poller_63' Enter
tmux_wait g 5 '2 Pollers \(10[0-9][0-9]/6[0-9]{4}\)' || fail "the filter did not count"
tmux_keys g Enter
tmux_wait g 5 "Poller fake_poller_63 \(id [0-9]+\)" || fail "no details"
t_keys=$(($(now_ms) - t0))
tmux_keys g Escape Escape 3
tmux_wait g 5 "^ +1 [a-z]+ +[0-9]+ +[0-9]+ " || fail "no reactors"
tmux_keys g q
tmux_wait g 10 "EXIT=0" || fail "reef-top did not exit 0"
echo "screen: pollers tab in $t_tab ms, End + filter + details in $t_keys ms"
[ "$t_tab" -lt 3000 ] || fail "switching to 65536 pollers took $t_tab ms"

kill -TERM "$pid"
wait_exit "$pid" 20 || fail "fake primary did not stop"
pid=
check_no_leftovers "$name"
echo "ok: 1024 threads and 65536 pollers, churning, batch and screen"
