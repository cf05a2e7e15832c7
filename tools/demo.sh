#!/usr/bin/env bash
# make demo: start reefd on every core under a name of its own, watch it with
# reef-top in the foreground, and stop reefd cleanly when reef-top quits.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BUILD_DIR:-$ROOT/build}/bin
name=demo$$
log=${TMPDIR:-/tmp}/reefd-$name.log
pid=

stop_reefd() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "demo: reefd did not stop within 10 s; killing it (tools/setup.sh cleanup tidies up)"
		kill -9 "$pid"
	fi
	wait "$pid" 2>/dev/null
	pid=
	echo "demo: reefd stopped; its log is $log"
}
trap stop_reefd EXIT
trap 'exit 130' INT TERM

"$BIN"/reefd -n "$name" >"$log" 2>&1 &
pid=$!
for _ in $(seq 300); do
	grep -q "watch it with" "$log" 2>/dev/null && break
	if ! kill -0 "$pid" 2>/dev/null; then
		cat "$log"
		echo "demo: reefd did not start (its messages are above)"
		pid=
		exit 1
	fi
	sleep 0.1
done
head -n 1 "$log"

if [ -x "$BIN/reef-top" ] && [ -t 0 ] && [ -t 1 ]; then
	"$BIN"/reef-top -n "$name"
else
	echo "demo: reefd is running as '$name' (no terminal for reef-top); Ctrl-C stops it"
	wait "$pid"
fi
