#!/usr/bin/env bash
# make install into a staging DESTDIR: headers, libreef.a, libreef.so with its
# soname, reef.pc, programs, man pages; an out-of-tree application
# (examples/hello) builds against it with pkg-config, runs, and answers a named
# message; make uninstall removes every file again.
set -u
. "$(dirname "$0")/common.sh"

stage=$(mktemp -d)
build=$(mktemp -d)
out=$(mktemp)
name=t_hello_$$
pid=
trap 'reap_primary "$pid" "$name"; rm -rf "$stage" "$build" "$out"' EXIT

make -s -C "$REEF_ROOT" install DESTDIR="$stage" PREFIX=/usr/local BUILD_DIR="$BUILD_DIR" \
	SANITIZE="${SANITIZE:-}" >/dev/null || fail "make install failed"
root=$stage/usr/local
for f in include/reef/thread.h include/reef/event.h include/reef/client.h \
	include/reef/spdk_compat.h lib/libreef.a lib/pkgconfig/reef.pc bin/reefd bin/reef-post bin/reef-top \
	share/man/man1/reefd.1 share/man/man1/reef-post.1 share/man/man1/reef-top.1 \
	share/man/man1/reef-trace.1 share/reef/bpf/poller_latency.bt bin/reef-bpftrace; do
	[ -e "$root/$f" ] || fail "make install did not install $f"
done
[ "$(readlink "$root/lib/libreef.so")" = libreef.so.0 ] || fail "libreef.so does not point at the soname"
readelf -d "$root/lib/libreef.so.0" | grep -q 'SONAME.*libreef.so.0' || fail "no soname"
if nm -D --defined-only "$root/lib/libreef.so.0" | awk '{print $3}' | grep -v '^reef_[a-z]' | grep -q .; then
	fail "libreef.so exports more than the reef_ API"
fi
man -l "$root/share/man/man1/reefd.1" >/dev/null 2>&1 || fail "reefd.1 does not render"

export PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
[ "$(pkg-config --modversion reef)" = "$(cat "$REEF_ROOT/VERSION")" ] || fail "pkg-config version"
extra=
[ "${SANITIZE:-}" = 1 ] && extra="-fsanitize=address,undefined"
make -s -C "$REEF_ROOT/examples/hello" O="$build" CFLAGS="-O2 -g -Wall -Wextra -Werror $extra" \
	LDFLAGS="$extra" || fail "examples/hello did not build against the installed Reef"

LD_LIBRARY_PATH=$root/lib "$build"/hello -n "$name" -m 0x1 --max-threads 32 --max-pollers 256 \
	>"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 "hello: running" || { cat "$out"; fail "hello did not start"; }
reply=$("$BIN"/reef-post -n "$name" -t hello_0 -m hello.greet -d test -w) || fail "hello.greet failed"
[ "$reply" = "hello test, from hello_0 on core 0" ] || fail "hello.greet said: $reply"
"$BIN"/reef-post -n "$name" -l | grep -q hello_0 || fail "hello's thread is not visible"
kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "hello did not exit cleanly"; }
pid=
check_no_leftovers "$name"

make -s -C "$REEF_ROOT" uninstall DESTDIR="$stage" PREFIX=/usr/local BUILD_DIR="$BUILD_DIR" >/dev/null
left=$(find "$stage" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "ok: installed, built hello out of tree, ran it, uninstalled"
