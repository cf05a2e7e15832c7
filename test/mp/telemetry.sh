#!/usr/bin/env bash
# DPDK telemetry: every /reef/* command answers through DPDK's own client
# (dpdk-telemetry.py), in JSON, with the same values reef-top reads (checked
# against two reef-top --json snapshots taken around the queries); a primary
# with 2000 pollers answers every page within DPDK's 16 KiB cap.
set -u
. "$(dirname "$0")/common.sh"

command -v dpdk-telemetry.py >/dev/null || skip "dpdk-telemetry.py is not installed (dpdk-dev)"
name=t_tel_$$
tmp=$(mktemp -d /tmp/reef-tel.XXXXXX)
pid=
trap 'reap_primary "$pid" "$name"; rm -rf "$tmp"' EXIT

# query CMD OUT [CMD OUT]...: telemetry commands through one client, each
# JSON reply (one line each) into its OUT file.
query() {
	local cmds=() outs=() i=0 line
	while [ $# -ge 2 ]; do
		cmds+=("$1")
		outs+=("$2")
		shift 2
	done
	printf '%s\n' "${cmds[@]}" | timeout 60 dpdk-telemetry.py -f "reef_$name" >"$tmp/replies" 2>&1 ||
		{ cat "$tmp/replies"; fail "telemetry queries failed"; }
	while IFS= read -r line; do
		case $line in
		'{'*)
			[ $i -lt ${#outs[@]} ] && printf '%s\n' "$line" >"${outs[$i]}"
			i=$((i + 1))
			;;
		esac
	done <"$tmp/replies"
	[ $i -eq ${#cmds[@]} ] || { cat "$tmp/replies"; fail "$i replies to ${#cmds[@]} telemetry queries"; }
}

"$BIN"/reefd -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 --move-every 0 \
	>"$tmp/reefd.log" 2>&1 &
pid=$!
wait_for_line "$tmp/reefd.log" 30 "watch it with" || { cat "$tmp/reefd.log"; fail "reefd did not start"; }

"$BIN"/reef-top -n "$name" -b -i 1 --json --totals >"$tmp/before.json" || fail "reef-top before"
query /reef/info "$tmp/info" /reef/threads "$tmp/threads0" /reef/pollers "$tmp/pollers0" \
	/reef/reactors "$tmp/reactors" /reef/channels "$tmp/channels0" /reef/thread,2 "$tmp/thread2" \
	/reef/thread,999999 "$tmp/nothread"
# Further pages, if any, still between the two reef-top snapshots.
python3 - "$tmp" <<'PY' >"$tmp/more"
import json, sys
tmp = sys.argv[1]
for cmd in ("threads", "pollers", "channels"):
    r = json.load(open(f"{tmp}/{cmd}0"))[f"/reef/{cmd}"]
    for p in range(1, r["pages"]):
        print(cmd, p)
PY
more=()
while read -r cmd page; do
	more+=("/reef/$cmd,$page" "$tmp/$cmd$page")
done <"$tmp/more"
[ ${#more[@]} -eq 0 ] || query "${more[@]}"
"$BIN"/reef-top -n "$name" -b -i 1 --json --totals >"$tmp/after.json" || fail "reef-top after"

python3 - "$tmp" "$name" "$pid" <<'PY' || fail "telemetry and reef-top disagree"
import glob, json, sys
tmp, name, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
before = json.load(open(f"{tmp}/before.json"))
after = json.load(open(f"{tmp}/after.json"))

def load(cmd):
    return json.load(open(f"{tmp}/{cmd}"))

def paged(cmd):
    out = {}
    for f in sorted(glob.glob(f"{tmp}/{cmd}[0-9]*")):
        r = load(f.split("/")[-1])[f"/reef/{cmd}"]
        for k, v in r.items():
            if isinstance(v, dict):
                out[k] = v
    return out

def between(what, a, t, b, slack=0.0):
    assert a - slack <= t <= b + slack, f"{what}: telemetry {t} not between reef-top {a} and {b}"

info = load("info")["/reef/info"]
assert info["app"] == name and info["pid"] == pid and info["state"] == "running", info
hz = info["tsc_hz"]
assert info["threads"] == len(before["threads"]), (info["threads"], len(before["threads"]))
assert info["pollers"] == len(before["pollers"]), (info["pollers"], len(before["pollers"]))
assert info["io_devices"] == len(before["devices"]), (info["io_devices"], len(before["devices"]))

threads = paged("threads")
assert len(threads) == info["threads"]
for b in before["threads"]:
    t = threads[str(b["id"])]
    a = next(x for x in after["threads"] if x["id"] == b["id"])
    assert t["name"] == b["name"] and t["core"] == b["core"], (t, b)
    # Per kind, a poller that pauses itself may move between two reads: count them all.
    assert t["active_pollers"] + t["timed_pollers"] + t["paused_pollers"] == b["pollers"], (t, b)
    assert t["io_channels"] == b["channels"], (t, b)
    between(f"{b['name']} msgs", b["msgs"], t["msgs"], a["msgs"])
    between(f"{b['name']} busy", b["busy_us"], t["busy_tsc"] * 1e6 / hz, a["busy_us"], 1.0)

pollers = paged("pollers")
assert len(pollers) == len(before["pollers"])
for b in before["pollers"]:
    p = pollers[str(b["id"])]
    a = next(x for x in after["pollers"] if x["id"] == b["id"])
    assert p["name"] == b["name"] and p["thread_id"] == b["thread_id"] and p["kind"] == b["kind"]
    between(f"poller {b['id']} runs", b["runs"], p["run_count"], a["runs"])
    between(f"poller {b['id']} busy runs", b["busy_runs"], p["busy_count"], a["busy_runs"])

reactors = load("reactors")["/reef/reactors"]
assert len(reactors) == len(before["reactors"])
for b in before["reactors"]:
    r = reactors[str(b["core"])]
    a = next(x for x in after["reactors"] if x["core"] == b["core"])
    assert r["threads"] == b["threads"], (r, b)
    between(f"reactor {b['core']} iterations", b["iterations"], r["iterations"], a["iterations"])
    between(f"reactor {b['core']} stalls", b["stalls"], r["stalls"], a["stalls"])

chans = paged("channels")
devices = {v["id"]: v for k, v in chans.items() if k.startswith("device")}
channels = [v for k, v in chans.items() if k.startswith("channel")]
assert {d["id"]: d["name"] for d in before["devices"]} == {i: d["name"] for i, d in devices.items()}
for d in before["devices"]:
    assert devices[d["id"]]["channels"] == d["channels"], (d, devices[d["id"]])
assert sorted((c["device"], c["thread_id"], c["refs"]) for c in channels) == \
    sorted((c["device"], c["thread_id"], c["refs"]) for c in before["channels"])

one = load("thread2")["/reef/thread"]
assert one["thread2"]["name"] == threads["2"]["name"]
mine = {k[6:] for k in one if k.startswith("poller")}
assert mine == {str(p["id"]) for p in before["pollers"] if p["thread_id"] == 2}, mine

assert load("nothread")["/reef/thread"] is None
print(f"ok: {len(threads)} threads, {len(pollers)} pollers, {len(reactors)} reactors, "
      f"{len(devices)} devices, {len(channels)} channels agree with reef-top")
PY

kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$tmp/reefd.log"; fail "reefd did not exit cleanly"; }
pid=

# 2000 pollers: every page fits DPDK's cap and together they hold every poller.
"$MP_BIN"/mp_scale_primary -m 0x3 -n "$name" --threads 40 --pollers 2000 --active 4 \
	--max-threads 64 --max-pollers 4096 >"$tmp/scale.log" 2>&1 &
pid=$!
wait_for_line "$tmp/scale.log" 60 '^READY' || { cat "$tmp/scale.log"; fail "scale primary did not start"; }
query /reef/pollers "$tmp/big0"
pages=$(python3 -c "import json; print(json.load(open('$tmp/big0'))['/reef/pollers']['pages'])")
more=()
for ((p = 1; p < pages; p++)); do
	more+=("/reef/pollers,$p" "$tmp/big$p")
done
query "${more[@]}"
python3 - "$tmp" "$pages" <<'PY' || fail "paged pollers are wrong"
import json, sys
tmp, pages = sys.argv[1], int(sys.argv[2])
ids = set()
for p in range(pages):
    raw = open(f"{tmp}/big{p}").read()
    assert len(raw) < 16384, f"page {p} is {len(raw)} bytes"
    r = json.loads(raw)["/reef/pollers"]
    assert r["page"] == p and r["pages"] == pages
    total = r["total"]
    ids |= {k for k, v in r.items() if isinstance(v, dict)}
assert len(ids) == total >= 2000, (len(ids), total)
print(f"ok: {total} pollers in {pages} pages, each under 16 KiB")
PY
kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$tmp/scale.log"; fail "scale primary did not exit cleanly"; }
pid=
check_no_leftovers "$name"
