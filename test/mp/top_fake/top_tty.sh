#!/usr/bin/env bash
# Run reef-top "$@" on this terminal (a tmux pane in the tests), then show what
# it printed on stderr. Under ASan, retry when the DPDK secondary could not map
# the primary's memory (see asan_map_failed in top_lib.sh).
err=$(mktemp)
for _ in 1 2 3; do
	"$@" 2>"$err"
	rc=$?
	[ "${SANITIZE:-}" = 1 ] && grep -q "Cannot init memory" "$err" || break
done
cat "$err" >&2
rm -f "$err"
exit $rc
