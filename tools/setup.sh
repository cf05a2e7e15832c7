#!/usr/bin/env bash
# Prepare this machine's hugepages for Reef, or clean up after dead primaries.
#
#   tools/setup.sh [reserve]   reserve 2 MiB hugepages (HUGEMEM MiB, default 512) and
#                              mount hugetlbfs on /dev/hugepages if nothing is mounted
#   tools/setup.sh status      show reserved/free hugepages and Reef primaries
#   tools/setup.sh cleanup     remove hugepage files and runtime directories left by
#                              Reef primaries that are no longer running (live ones are kept)
set -euo pipefail

HUGEMEM=${HUGEMEM:-512}
HUGEDIR=${HUGEDIR:-/dev/hugepages}
RUNDIR=${RUNDIR:-/var/run/dpdk}
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages

die() {
	echo "setup.sh: $*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root to $1 (try: sudo $0 $2)"
}

hugetlbfs_mounted() {
	awk '$3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts
}

reserve() {
	[ -e "$NR" ] || die "this kernel has no 2 MiB hugepage support ($NR missing)"
	case "$HUGEMEM" in
	'' | *[!0-9]*) die "HUGEMEM must be a number of MiB, got '$HUGEMEM'" ;;
	esac
	local want=$((HUGEMEM / 2)) have
	have=$(cat "$NR")
	if [ "$have" -lt "$want" ]; then
		need_root "reserve hugepages" reserve
		echo "$want" >"$NR"
		have=$(cat "$NR")
		[ "$have" -ge "$want" ] ||
			die "asked the kernel for $want hugepages, got $have: free memory or lower HUGEMEM"
	fi
	if ! hugetlbfs_mounted; then
		need_root "mount hugetlbfs" reserve
		mkdir -p "$HUGEDIR"
		mount -t hugetlbfs nodev "$HUGEDIR"
	fi
	echo "hugepages: $(cat "$NR") reserved, $(cat "$FREE") free (2 MiB each)"
}

# The pid holding DPDK's POSIX lock on a primary's config file, or nothing.
config_lock_pid() {
	local cfg=$1
	lslocks -n -r -u -o PID,PATH 2>/dev/null | awk -v p="$cfg" '$2 == p { print $1; exit }'
}

cleanup() {
	local dir prefix pid n=0
	shopt -s nullglob
	for dir in "$RUNDIR"/reef_*; do
		[ -d "$dir" ] || continue
		prefix=$(basename "$dir")
		pid=$(config_lock_pid "$(readlink -f "$dir/config")")
		if [ -n "$pid" ]; then
			echo "keeping $prefix: primary pid $pid is alive"
			continue
		fi
		rm -f "$HUGEDIR/${prefix}map_"* "$HUGEDIR/${prefix}map"
		rm -rf "$dir"
		echo "removed stale $prefix"
		n=$((n + 1))
	done
	# Hugepage files whose runtime directory is already gone.
	for f in "$HUGEDIR"/reef_*map_*; do
		prefix=${f##*/}
		prefix=${prefix%map_*}
		if [ ! -d "$RUNDIR/$prefix" ]; then
			rm -f "$f"
			n=$((n + 1))
		fi
	done
	echo "cleanup: $n stale item(s) removed"
}

status() {
	echo "hugepages: $(cat "$NR" 2>/dev/null || echo 0) reserved, $(cat "$FREE" 2>/dev/null || echo 0) free (2 MiB each)"
	if hugetlbfs_mounted; then
		echo "hugetlbfs: mounted"
	else
		echo "hugetlbfs: not mounted"
	fi
	local dir pid
	shopt -s nullglob
	for dir in "$RUNDIR"/reef_*; do
		pid=$(config_lock_pid "$(readlink -f "$dir/config")")
		echo "primary ${dir##*/reef_}: ${pid:+alive, pid $pid}${pid:-dead (run: $0 cleanup)}"
	done
}

case "${1:-reserve}" in
reserve) reserve ;;
status) status ;;
cleanup)
	need_root "clean up" cleanup
	cleanup
	;;
-h | --help | help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown verb '$1': use reserve, status or cleanup" ;;
esac
