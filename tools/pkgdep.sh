#!/usr/bin/env bash
# Install the Debian packages Reef needs to build, test, trace and benchmark.
# Usage: tools/pkgdep.sh [--check]
#   --check   only report which packages are missing (exit 1 if any)
set -euo pipefail

packages=(
	build-essential pkg-config
	libdpdk-dev dpdk-dev
	libncurses-dev
	libbpf-dev libelf-dev zlib1g-dev bpftool clang llvm
	libcunit1-dev
	systemtap-sdt-dev
	bpftrace
	tmux
	python3
	clang-format
	procps
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done

if [ "${1:-}" = "--check" ]; then
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing packages: ${missing[*]} (run: sudo tools/pkgdep.sh)"
		exit 1
	fi
	exit 0
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "pkgdep: need root to install: ${missing[*]} (run: sudo $0)" >&2
	exit 1
fi

echo "pkgdep: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
