#!/usr/bin/env python3
"""Run Reef's benchmarks several times and print one table (and JSON).

Every figure is measured next to its baseline in the same process run (see
test/bench/common/bench.h); this driver runs each program RUNS times, keeps the
median and the best run of each side, and the median of the per-run ratios.

    run.py --build-dir build [--nousdt-dir build/nousdt] [--runs 5] [--json PATH]

Programs: b_thread (single thread: poller_perf, empty poll, messages to self,
poller timing, reef-top attached), b_thread from the CONFIG_USDT=n build,
b_msg (two reactors), b_post + b_post_client (a secondary posting), and
mp_scale_primary + b_snap (a 1024-thread, 65536-poller region). Primaries are
named b_*; each is stopped with SIGTERM and leftovers are cleaned up.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: (unit, better, baseline_name, target, SPDK reference (low, high) or None)
ROWS = [
    ("poller_cost_1000", "cyc/run", "lower", "bare loop: same calls + run/busy counters", 2.0,
     (16, 23)),
    ("poller_cost_1000_vs_calls", "cyc/run", "lower", "bare loop: same calls only", None, None),
    ("poller_cost_100", "cyc/run", "lower", "bare loop: same calls + run/busy counters", None,
     None),
    ("poller_cost_1", "cyc/run", "lower", "bare loop: same calls + run/busy counters", None,
     (116, 160)),
    ("poller_cost_1000_timed", "cyc/run", "lower", "bare loop: same calls + run/busy counters",
     None, (150, 210)),
    ("poller_cost_100_timed", "cyc/run", "lower", "bare loop: same calls + run/busy counters",
     None, None),
    ("poller_cost_1_timed", "cyc/run", "lower", "bare loop: same calls + run/busy counters", None,
     None),
    ("thread_poll_empty", "cyc/poll", "lower", "rdtsc + empty MP/SC dequeue", None, (76, 95)),
    ("msg_local_batched", "cyc/msg", "lower", "rte_ring MP/SC enq+deq+call, same batches", 1.5,
     (55, 74)),
    ("msg_local_batched_spsc", "cyc/msg", "lower", "rte_ring SP/SC enq+deq+call, same batches",
     None, None),
    ("msg_local_one_per_poll", "cyc/msg", "lower", "rte_ring MP/SC enq+deq+call, one at a time",
     None, (130, 150)),
    ("msg_local_qd128", "Mmsg/s", "higher", "rte_ring MP/SC, 128 in flight + call", None,
     (10, 13)),
    ("msg_cross_stream", "Mmsg/s", "higher", "rte_ring MP/SC between the same 2 cores", 0.7, None),
    ("msg_cross_pingpong", "cyc/rt", "lower", "2 rte_rings, ping-pong between the same 2 cores",
     None, None),
    ("msg_cross_hop", "Mmsg/s/core", "higher", "rte_rings, event_perf shape (4 per core)", None,
     (1.4, 1.5)),
    ("post_oneway", "Mmsg/s", "higher", "local cross-core messages (b_post --mode local)", 0.5,
     None),
    ("post_rtt_p50", "cyc/rt", "lower", "raw 2-ring ping-pong, 2 processes, 2 cores", 3.0, None),
    ("post_rtt_p99", "cyc/rt", "lower", "raw 2-ring ping-pong, 2 processes, 2 cores", None, None),
    ("post_rtt_p50_vs_local", "cyc/rt", "lower", "local cross-core ping-pong p50", None, None),
    ("obs_top", "cyc/run", "lower", "same 1000 pollers, reader stopped", 1.02, None),
    ("obs_timing", "cyc/run", "lower", "same 1000 pollers, timing off", None, None),
    ("obs_usdt", "cyc/run", "lower", "same 1000 pollers, CONFIG_USDT=n build", 1.02, None),
    ("snapshot_full", "ms", "lower", "memcpy of the same tables", 3.0, None),
    ("slot_bytes_poller", "bytes", "lower", None, None, None),
    ("slot_bytes_thread", "bytes", "lower", None, None, None),
]

PRIMARIES = ["b_thread", "b_nousdt", "b_msg", "b_post", "b_scale"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cpu_busy(interval=0.3):
    """Cores' worth of CPU time used by anything during interval (we are asleep)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]

    t0, i0 = sample()
    time.sleep(interval)
    t1, i1 = sample()
    ncpu = os.cpu_count() or 1
    total = t1 - t0
    return 0.0 if total <= 0 else ncpu * (1.0 - (i1 - i0) / total)


class Runner:
    def __init__(self, args):
        self.args = args
        self.bench = os.path.join(args.build_dir, "bench")
        self.loads = []
        self.skipped = set()

    def wait_quiet(self, own=0.0):
        """Wait (bounded) for other work on the machine to calm down; note what we got.

        own: cores our own running primary keeps busy (a spinning reactor)."""
        t0 = time.time()
        deadline = t0 + self.args.quiet_wait
        busy = max(0.0, cpu_busy() - own)
        while busy > self.args.quiet_cores and time.time() < deadline:
            time.sleep(0.5)
            busy = max(0.0, cpu_busy() - own)
        self.loads.append(busy)
        if self.args.verbose and time.time() - t0 > 0.5:
            log("bench: waited %.1f s for quiet (%.2f cores busy)" % (time.time() - t0, busy))

    def run(self, cmd, timeout=120, own=0.0):
        self.wait_quiet(own)
        t0 = time.time()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            log("bench: %s failed (%d): %s" % (os.path.basename(cmd[0]), p.returncode,
                                              p.stderr.strip()[-400:]))
        if self.args.verbose:
            log("bench: %s took %.1f s" % (" ".join(os.path.basename(c) for c in cmd[:3]),
                                           time.time() - t0))
        return parse(p.stdout)

    def start_primary(self, cmd, ready="READY", timeout=60):
        self.wait_quiet()
        out = open("/tmp/reef-bench-%d.out" % os.getpid(), "w+")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            out.seek(0)
            if any(line.strip() == ready for line in out):
                return p, out
            if p.poll() is not None:
                break
            time.sleep(0.05)
        out.seek(0)
        log("bench: %s did not become ready: %s" % (os.path.basename(cmd[0]),
                                                     out.read().strip()[-400:]))
        self.stop_primary(p, out)
        return None, None

    def stop_primary(self, p, out):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        out.close()
        try:
            os.unlink(out.name)
        except OSError:
            pass

    def one_run(self, r):
        a = self.args
        res = {}
        top = os.path.join(a.build_dir, "bin", "reef-top")
        if not os.access(top, os.X_OK):
            top = os.path.join(self.bench, "b_snap")
            self.skipped.add("reef-top missing: obs_top used b_snap -b (10 Hz snapshots) "
                             "as the stand-in")
        res.update(self.run([os.path.join(self.bench, "b_thread"), "--name", "b_thread",
                             "--core", str(a.core), "--other-core", str(a.other_core),
                             "--top", top]))

        # USDT compiled in (unattached) vs compiled out, back to back, order alternating.
        usdt = {}
        pair = [("in", os.path.join(self.bench, "b_thread"), "b_thread"),
                ("out", os.path.join(a.nousdt_dir, "bench", "b_thread"), "b_nousdt")]
        if r % 2:
            pair.reverse()
        for which, binary, name in pair:
            if not os.access(binary, os.X_OK):
                continue
            got = self.run([binary, "--name", name, "--core", str(a.core), "--cases", "usdt",
                            "--windows", "9"])
            if "usdt_poller_cost_1000" in got:
                usdt[which] = got["usdt_poller_cost_1000"][0]
        if "in" in usdt and "out" in usdt:
            res["obs_usdt"] = (usdt["in"], usdt["out"])

        res.update(self.run([os.path.join(self.bench, "b_msg"), "-n", "b_msg", "-m",
                             a.cpumask]))

        local = self.run([os.path.join(self.bench, "b_post"), "-n", "b_post", "-m", a.cpumask,
                          "--mode", "local"])
        p, out = self.start_primary([os.path.join(self.bench, "b_post"), "-n", "b_post", "-m",
                                     hex(1 << a.core), "--mode", "serve"])
        if p is not None:
            client = self.run(["taskset", "-c", str(a.other_core),
                               os.path.join(self.bench, "b_post_client"), "-n", "b_post"],
                              own=1.0)
            self.stop_primary(p, out)
            if "post_oneway" in client and "post_local_stream" in local:
                res["post_oneway"] = (client["post_oneway"][0], local["post_local_stream"][0])
            for k in ("post_rtt_p50", "post_rtt_p99"):
                if k in client:
                    res[k] = client[k]
            if "post_rtt_p50" in client and "post_local_rtt_p50" in local:
                res["post_rtt_p50_vs_local"] = (client["post_rtt_p50"][0],
                                                local["post_local_rtt_p50"][0])

        # 1024 threads and 65536 pollers in use (the app thread and its 3 pollers count),
        # a few spare poller slots so that shutdown can register its poller.
        p, out = self.start_primary([
            os.path.join(a.build_dir, "test", "mp", "mp_scale_primary"), "-n", "b_scale",
            "-m", hex(1 << a.core), "--threads", "1023", "--pollers", "65533", "--active",
            "1023", "--max-threads", "1024", "--max-pollers", "65544", "--msg-ring-size",
            "2048", "--stall-us", "0"])
        if p is not None:
            res.update(self.run(["taskset", "-c", str(a.other_core),
                                 os.path.join(self.bench, "b_snap"), "-n", "b_scale"], own=1.0))
            self.stop_primary(p, out)
        return res

    def cleanup(self):
        subprocess.run([os.path.join(ROOT, "tools", "setup.sh"), "cleanup"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def parse(stdout):
    res = {}
    for line in stdout.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] == "RESULT":
            reef = float(f[2])
            base = None if f[3] == "-" else float(f[3])
            res[f[1]] = (reef, base)
        elif len(f) == 3 and f[:2] == ["INFO", "tsc_hz"]:
            res["_tsc_hz"] = (float(f[2]), None)
    return res


def best(values, better):
    return min(values) if better == "lower" else max(values)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "%.0f" % v
    if abs(v) >= 100:
        return "%.1f" % v
    if abs(v) >= 10:
        return "%.2f" % v
    return "%.3f" % v


def summarize(runs, hz):
    out = []
    for name, unit, better, base_name, target, spdk in ROWS:
        pairs = [r[name] for r in runs if name in r]
        if not pairs:
            continue
        reef = [p[0] for p in pairs]
        base = [p[1] for p in pairs if p[1] is not None]
        ratios = [p[0] / p[1] for p in pairs if p[1]]
        row = {
            "name": name,
            "unit": unit,
            "reef": statistics.median(reef),
            "reef_best": best(reef, better),
            "baseline": statistics.median(base) if base else None,
            "baseline_best": best(base, better) if base else None,
            "baseline_name": base_name if base else None,
            "ratio": statistics.median(ratios) if ratios else None,
            "target": target,
            "better": better,
            "spdk_reference": list(spdk) if spdk else None,
            "runs": [{"reef": p[0], "baseline": p[1]} for p in pairs],
        }
        if unit.startswith("cyc") and hz:
            row["reef_ns"] = row["reef"] / hz * 1e9
        if target is not None and row["ratio"] is not None:
            row["met"] = row["ratio"] <= target if better == "lower" else row["ratio"] >= target
        else:
            row["met"] = None
        if spdk:
            row["beats_spdk"] = (row["reef"] < spdk[0] if better == "lower" else
                                 row["reef"] > spdk[1])
        out.append(row)
    return out


def print_table(rows, runs, hz, loads, notes):
    hdr = ["name", "unit", "reef", "best", "ns", "baseline", "ratio", "target", "met?",
           "SPDK ref", "baseline_name"]
    lines = []
    for r in rows:
        spdk = "-"
        if r["spdk_reference"]:
            lo, hi = r["spdk_reference"]
            spdk = "%s-%s %s" % (fmt(lo), fmt(hi), "beat" if r["beats_spdk"] else "NOT beat")
        target = "-"
        if r["target"] is not None:
            target = ("<= %g" if r["better"] == "lower" else ">= %g") % r["target"]
        met = "-" if r["met"] is None else ("yes" if r["met"] else "NO")
        lines.append([r["name"], r["unit"], fmt(r["reef"]), fmt(r["reef_best"]),
                      fmt(r.get("reef_ns")) if "reef_ns" in r else "-", fmt(r["baseline"]),
                      fmt(r["ratio"]), target, met, spdk, r["baseline_name"] or "-"])
    widths = [max(len(hdr[i]), *(len(l[i]) for l in lines)) for i in range(len(hdr))]
    print("  ".join(h.ljust(widths[i]) for i, h in enumerate(hdr)).rstrip())
    print("  ".join("-" * w for w in widths))
    for l in lines:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(l)).rstrip())
    print()
    print("runs: %d; reef and baseline: medians of the runs, best: the best run; ratio: median of "
          "the per-run reef/baseline ratios; TSC %.3f GHz; SPDK reference in TSC cycles at "
          "2.25 GHz (not re-measured)." % (runs, hz / 1e9 if hz else 0))
    if loads:
        print("other load on the machine when each program started: median %.2f, max %.2f cores "
              "(of %d)" % (statistics.median(loads), max(loads), os.cpu_count() or 1))
    for n in sorted(notes):
        print("note: " + n)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--nousdt-dir", default=None)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--json", default=os.environ.get("BENCH_JSON") or None)
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--other-core", type=int, default=1)
    ap.add_argument("--quiet-cores", type=float, default=0.3,
                    help="wait while other work uses more than this many cores")
    ap.add_argument("--quiet-wait", type=float, default=10,
                    help="seconds to wait for quiet before each program, at most")
    ap.add_argument("-v", "--verbose", action="store_true", help="say what takes how long")
    a = ap.parse_args()
    a.build_dir = os.path.abspath(a.build_dir)
    a.nousdt_dir = os.path.abspath(a.nousdt_dir or os.path.join(a.build_dir, "nousdt"))
    a.cpumask = hex((1 << a.core) | (1 << a.other_core))

    runner = Runner(a)
    runner.cleanup()
    start = time.time()
    runs = []
    try:
        for r in range(a.runs):
            log("bench: run %d of %d" % (r + 1, a.runs))
            runs.append(runner.one_run(r))
    finally:
        runner.cleanup()
    hz = next((r["_tsc_hz"][0] for r in runs if "_tsc_hz" in r), 0)
    rows = summarize(runs, hz)
    print_table(rows, len(runs), hz, runner.loads, runner.skipped)
    print("total time %.0f s" % (time.time() - start))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
            f.write("\n")
        print("results written to %s" % a.json)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
