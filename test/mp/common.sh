# Helpers for multi-process tests (source it). Every test primary is named
# t_<something> so that test/run.sh can tell its leftovers apart.

MP_BIN=${BUILD_DIR:-$REEF_ROOT/build}/test/mp
BIN=${BUILD_DIR:-$REEF_ROOT/build}/bin
# DPDK allocates at start-up and never frees: leak reports would be noise here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP $*"
	exit 77
}

# Wait up to $2 seconds for file $1 to contain a line matching $3.
wait_for_line() {
	local file=$1 secs=$2 pattern=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Wait up to $2 seconds for process $1 to exit; returns its status, 124 on timeout.
wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			return $?
		fi
		sleep 0.05
	done
	return 124
}

# Fail if a primary of name $1 left hugepage files or a runtime directory behind.
check_no_leftovers() {
	local name=$1
	ls /dev/hugepages/ 2>/dev/null | grep -q "^reef_${name}map_" &&
		fail "hugepage files of reef_$name left behind"
	[ -e "/var/run/dpdk/reef_$name" ] && fail "runtime directory of reef_$name left behind"
	return 0
}

# Kill and clean up after a primary the test could not stop (called from traps).
reap_primary() {
	local pid=$1 name=$2
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -f /dev/hugepages/reef_"${name}"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/reef_$name" 2>/dev/null
}
