#!/usr/bin/env bash
# reef-top's batch mode against a real reefd: the JSON parses, every reefd
# thread is there on its core, values are never negative, run counts grow,
# -o sorts the text tables; a clean stop ends it with one line and exit 0;
# a wrong name, an incompatible region and bad options give one line each.
set -u
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/top_fake/top_lib.sh"

name=t_topb_$$
abi=t_topa_$$
out=$(mktemp)
err=$(mktemp)
pid=
fake=
trap 'reap_primary "$pid" "$name"; reap_primary "$fake" "$abi"; rm -f "$out" "$err" "${reefd_log:-}"' EXIT

start_reefd "$name" --move-every 0

# Interval values: 3 iterations, 0.3 s apart.
top_run -n "$name" -b --json -i 3 -d 0.3 ||
	{ cat "$err"; fail "reef-top --json failed"; }
python3 - "$out" <<'PY' || fail "wrong JSON (above)"
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 3, f"{len(objs)} iterations, expected 3"
for o in objs:
    assert o["state"] == "running" and o["mode"] == "interval", o["state"]
    assert 0.2 < o["interval_s"] < 3, f"interval {o['interval_s']}"
    names = {t["name"]: t for t in o["threads"]}
    want = {f"worker_{c}_{i}" for c in (0, 1) for i in range(3)} | {"roamer", "app_thread"}
    assert want <= names.keys(), f"missing threads: {want - names.keys()}"
    for n, t in names.items():
        m = re.match(r"worker_(\d+)_\d+$", n)
        if m:
            assert t["core"] == int(m.group(1)), f"{n} on core {t['core']}"
    assert names["app_thread"]["core"] == 0
    for table in ("threads", "pollers", "reactors", "channels"):
        for row in o[table]:
            for k, v in row.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    assert v >= 0, f"{table} {row.get('name', row)}: {k} = {v}"
            for k in ("busy_pct", "cpu_pct", "sleep_pct"):
                if row.get(k) is not None:
                    assert row[k] <= 100, f"{table}: {k} = {row[k]}"
    assert {r["core"] for r in o["reactors"]} == {0, 1}
    assert len(o["pollers"]) >= 40, f"{len(o['pollers'])} pollers"
    assert any(p["runs_per_s"] for p in o["pollers"] if p["name"] == "io_poll"), "io_poll never ran"
    devs = {d["name"]: d for d in o["devices"]}
    assert devs["fake_blk0"]["channels"] >= 7 and devs["fake_nic0"]["channels"] >= 7, devs
    assert sum(1 for c in o["channels"] if c["device"] == "fake_blk0") == devs["fake_blk0"]["channels"]
print("json ok:", len(objs[-1]["threads"]), "threads,", len(objs[-1]["pollers"]), "pollers")
PY

# Totals: every poller's run count only grows, and the sum does grow.
top_run -n "$name" -b --json --totals --tab pollers -i 2 -d 0.3 ||
	{ cat "$err"; fail "reef-top --json --totals failed"; }
python3 - "$out" <<'PY' || fail "run counts do not grow (above)"
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
assert a["mode"] == "totals" and "threads" not in a
ra = {p["id"]: p["runs"] for p in a["pollers"]}
rb = {p["id"]: p["runs"] for p in b["pollers"]}
for i in ra.keys() & rb.keys():
    assert rb[i] >= ra[i], f"poller {i}: {ra[i]} -> {rb[i]}"
assert sum(rb.values()) > sum(ra.values()), "no poller ran"
print("totals ok:", sum(ra.values()), "->", sum(rb.values()), "runs")
PY

# Plain tables sorted with -o.
top_run -n "$name" -b -i 1 -d 0.2 --tab threads -o name ||
	{ cat "$err"; fail "reef-top -b failed"; }
grep -q "^reef-top - app $name  pid $pid " "$out" || { cat "$out"; fail "no summary line"; }
grep -Eq '^NAME +ID +CORE +STATE .*BUSY% ' "$out" || { cat "$out"; fail "no thread table header"; }
sorted=$(sed -n '/^NAME /,/^$/p' "$out" | tail -n +2 | awk 'NF {print $1}')
[ "$sorted" = "$(echo "$sorted" | sort -V)" ] || { cat "$out"; fail "-o name did not sort by name"; }
[ "$(echo "$sorted" | wc -l)" -ge 8 ] || { cat "$out"; fail "threads missing"; }
echo "text ok"

# Bad options and names: one line each, exit 2 or 1.
"$BIN"/reef-top -n "$name" -b -o nonsense >"$out" 2>"$err"
[ $? -eq 2 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q "no column 'nonsense'" "$err" ||
	fail "bad -o: $(cat "$err")"
"$BIN"/reef-top -n "$name" -b -d 0 >"$out" 2>"$err"
[ $? -eq 2 ] && grep -q -- "--delay" "$err" || fail "bad -d: $(cat "$err")"
"$BIN"/reef-top -n t_nobody_$$ -b -i 1 >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] || fail "wrong name: exit $rc"
[ "$(wc -l <"$err")" -eq 1 ] && grep -q "no Reef primary named 't_nobody_$$'" "$err" ||
	fail "wrong name: $(cat "$err")"
"$BIN"/reef-top -n "$name" </dev/null >"$out" 2>"$err"
[ $? -eq 2 ] && grep -q "needs a terminal" "$err" || fail "no terminal: $(cat "$err")"

"$MP_BIN"/mp_top_fake "$abi" abi 60 >"$out" 2>&1 &
fake=$!
wait_for_line "$out" 60 '^READY' || { cat "$out"; fail "fake primary did not start"; }
top_run -n "$abi" -b -i 1
rc=$?
[ $rc -eq 1 ] || fail "ABI mismatch: exit $rc"
[ "$(wc -l <"$err")" -eq 1 ] && grep -q "ABI version" "$err" || fail "ABI mismatch: $(cat "$err")"
kill -TERM "$fake"
wait_exit "$fake" 20 || fail "fake primary did not stop"
fake=
check_no_leftovers "$abi"
echo "errors ok"

# A clean stop while reef-top watches: one line, exit 0, within 2 s of the stop.
top_start '^reactors' -n "$name" -b -d 0.2 --tab reactors
kill -TERM "$pid"
wait_exit "$pid" 30 || fail "reefd did not stop"
stopped=$(now_ms)
pid=
wait_exit "$top" 5
rc=$?
took=$(($(now_ms) - stopped))
[ $rc -eq 0 ] || { cat "$err"; fail "reef-top exit $rc after a clean stop"; }
[ "$(wc -l <"$err")" -eq 1 ] && grep -q "primary '$name' (pid [0-9]*) stopped" "$err" ||
	fail "clean stop: $(cat "$err")"
[ "$took" -lt 2000 ] || fail "reef-top took $took ms to notice the stop"
check_no_leftovers "$name"
echo "ok: batch and JSON agree with reefd; clean stop seen in $took ms: $(cat "$err")"
