#!/usr/bin/env bash
# Run one of tools/bpf/*.bt against a running Reef primary.
#
#   tools/bpftrace.sh PID SCRIPT [SECONDS]   run SCRIPT (for SECONDS, or until Ctrl-C);
#                                            SCRIPT: a path, or a name in tools/bpf/
#   tools/bpftrace.sh -l PID                 list the primary's reef probes
#
# The scripts name the program and the pid through the placeholders
# __REEF_BIN__ and __REEF_PID__; this fills them in (the program as
# /proc/PID/exe resolves) and runs bpftrace -p PID on the result. See
# doc/usdt.md for the probes and their arguments.
#
# Exit status: bpftrace's, or 2 bad usage, 3 not root or BPF not permitted,
# 4 PID is not a Reef primary, 5 bpftrace is not installed.
set -u

me=$(basename "$0")

die() {
	local rc=$1
	shift
	echo "$me: $*" >&2
	exit "$rc"
}

usage() {
	cat <<EOT
Usage: $me PID SCRIPT [SECONDS]
       $me -l PID

Run a bpftrace script (a path, or the name of one in tools/bpf/) against the
running Reef primary PID, for SECONDS or until Ctrl-C, or list the primary's
reef USDT probes (-l).
Needs root and bpftrace. Scripts: $(cd "$(dirname "$0")/bpf" 2>/dev/null && ls -- *.bt 2>/dev/null | tr '\n' ' ')
EOT
}

# bpftrace's noise on this kind of kernel: harmless (see doc/usdt.md).
quiet_stderr() {
	grep -v -e "couldn't set RLIMIT_MEMLOCK" -e 'failed to detach probe' \
		-e '/sys/kernel/tracing/uprobe_events' -e '/sys/kernel/debug/tracing/uprobe_events' \
		-e '^$' >&2
}

# Set $pid and $bin, checking that the pid is a live Reef primary with probes.
find_primary() {
	local comm
	pid=$1
	[[ $pid =~ ^[1-9][0-9]*$ ]] || die 2 "'$pid' is not a pid (try -h)"
	[ -d "/proc/$pid" ] || die 4 "no process with pid $pid"
	comm=$(cat "/proc/$pid/comm" 2>/dev/null)
	bin=$(readlink "/proc/$pid/exe" 2>/dev/null) || die 4 "cannot read /proc/$pid/exe"
	case $bin in
	*" (deleted)")
		die 4 "the program of pid $pid ($comm) was replaced or deleted since it started: restart it"
		;;
	esac
	if ! readelf -n "/proc/$pid/exe" 2>/dev/null | grep -q 'Provider: reef$'; then
		if holds_primary_lock "$pid"; then
			die 4 "primary $pid ($comm) has no reef USDT probes: $bin was built with CONFIG_USDT=n"
		fi
		die 4 "pid $pid ($comm) is not a Reef primary (no reef USDT probes in $bin)"
	fi
	holds_primary_lock "$pid" ||
		die 4 "pid $pid ($comm) is not a running Reef primary: it holds no Reef runtime lock"
}

# A live primary holds a lock on its runtime directory's config file (root: /var/run/dpdk).
holds_primary_lock() {
	lslocks -n -r -o PID,PATH 2>/dev/null | grep -q -E "^$1 (/var)?/run/dpdk/reef_[^/]+/config\$"
}

# bpftrace 0.17 prints every map at exit, the emptied ones as blank lines: hold
# blank lines back until more output follows, so the trailing ones go. Line by
# line (stall.bt prints as it goes), and deaf to the Ctrl-C meant for bpftrace,
# which prints the summaries after it.
# (bash's read, not awk: mawk reads a pipe in blocks and would hold lines back.)
drop_trailing_blanks() {
	local line held=0
	trap '' INT
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^[[:space:]]*$ ]]; then
			held=$((held + 1))
			continue
		fi
		for (( ; held > 0; held--)); do
			echo
		done
		printf '%s\n' "$line"
	done
}

# Pass bpftrace's stderr on; if it failed because BPF is refused, say only that.
report_stderr() {
	local rc=$1 err=$2
	if [ "$rc" -ne 0 ] && grep -q -i -e 'Operation not permitted' -e 'Permission denied' "$err"; then
		die 3 "BPF is not permitted here: bpftrace was refused (a container without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN, or kernel lockdown)"
	fi
	quiet_stderr <"$err"
}

[ $# -ge 1 ] || {
	usage >&2
	exit 2
}
case $1 in
-h | --help)
	usage
	exit 0
	;;
esac

command -v bpftrace >/dev/null || die 5 "bpftrace is not installed (run: sudo tools/pkgdep.sh)"
[ "$(id -u)" -eq 0 ] || die 3 "must run as root: BPF and uprobes need it (try: sudo $0 $*)"
command -v readelf >/dev/null || die 5 "readelf is not installed (binutils; run: sudo tools/pkgdep.sh)"

err=$(mktemp /tmp/reef-bpftrace.XXXXXX)
script=
trap 'rm -f "$err" ${script:+"$script"}' EXIT

if [ "$1" = -l ]; then
	[ $# -eq 2 ] || die 2 "-l wants exactly one PID (try -h)"
	find_primary "$2"
	bpftrace -l "usdt:$bin:reef:*" 2>"$err" | sort
	rc=${PIPESTATUS[0]}
	report_stderr "$rc" "$err"
	exit "$rc"
fi

[ $# -ge 2 ] && [ $# -le 3 ] || die 2 "wants PID SCRIPT [SECONDS] (try -h)"
src=$2
secs=${3:-}
# A bare name (stall, stall.bt) is one of tools/bpf/.
if [ ! -f "$src" ] && [[ $src != */* ]]; then
	for try in "$(dirname "$0")/bpf/$src" "$(dirname "$0")/bpf/$src.bt"; do
		if [ -f "$try" ]; then
			src=$try
			break
		fi
	done
fi
[ -f "$src" ] || die 2 "no script '$src' (they are in tools/bpf/)"
grep -q __REEF_BIN__ "$src" || die 2 "'$src' has no __REEF_BIN__ placeholder: not a Reef script"
[ -z "$secs" ] || [[ $secs =~ ^[1-9][0-9]*$ ]] || die 2 "SECONDS must be a whole number above 0, not '$secs'"
find_primary "$1"

script=$(mktemp /tmp/reef-bpftrace.XXXXXX.bt)
esc_bin=$(printf '%s' "$bin" | sed 's/[&|\\]/\\&/g')
sed -e "s|__REEF_BIN__|$esc_bin|g" -e "s|__REEF_PID__|$pid|g" "$src" >"$script"
if [ -n "$secs" ]; then
	printf '\ninterval:s:%s\n{\n\texit();\n}\n' "$secs" >>"$script"
fi

bpftrace -p "$pid" "$script" 2>"$err" | drop_trailing_blanks
rc=${PIPESTATUS[0]}
report_stderr "$rc" "$err"
exit "$rc"
