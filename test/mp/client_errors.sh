#!/usr/bin/env bash
# reef-post against a real primary: round trips with every payload form, and
# every bad input refused with one clear line, a distinct exit code, and no
# harm to the primary.
set -u
. "$(dirname "$0")/common.sh"

name=t_post_$$
out=$(mktemp)
payload=$(mktemp)
pid=
holders=()
trap 'for h in "${holders[@]}"; do kill -9 "$h" 2>/dev/null; done; reap_primary "$pid" "$name"; rm -f "$out" "$payload"' EXIT

"$BIN"/reefd -m 0x3 -n "$name" --max-threads 64 --max-pollers 1024 --max-clients 2 >"$out" 2>&1 &
pid=$!
wait_for_line "$out" 30 "watch it with" || { cat "$out"; fail "reefd did not start"; }

post() {
	timeout 30 "$BIN"/reef-post -n "$name" "$@"
}

# expect RC PATTERN -- ARGS: exit code RC and one stderr line matching PATTERN.
expect() {
	local want=$1 pattern=$2 err rc
	shift 3
	err=$(post "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq "$want" ] || fail "reef-post $*: exit $rc, expected $want ($err)"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "reef-post $*: expected one line: $err"
	printf '%s\n' "$err" | grep -q -- "$pattern" || fail "reef-post $*: unclear: $err"
	echo "ok: reef-post $* -> $err"
}

[ "$(post -t 1 -m reef.ping -w)" = "pong" ] || fail "ping by id"
[ "$(post -t worker_0_0 -m reef.ping -d hi -w)" = "pong hi" ] || fail "ping by name with text"
[ "$(post -t 0 -m reefd.echo -x 0001feff -w)" = "0001feff" ] || fail "binary echo"
head -c 1024 /dev/urandom >"$payload"
[ "$(post -t 2 -m reefd.echo -f "$payload" -w)" = "$(xxd -p -c 2048 "$payload")" ] ||
	fail "a full 1024-byte payload did not come back intact"
post -t worker_1_0 -m reefd.load -d 55 -w | grep -q "set to 55%" || fail "reefd.load"
post -t 2 -m reef.ping -c 500 | grep -q "posted 500" || fail "posting without waiting"
post -t 2 -m reef.ping -w -c 200 | grep -q "200 calls" || fail "latency summary"
post -l | grep -q "reef.poller.pause" || fail "--list shows handlers"

expect 4 "no thread with id 999" -- -t 999 -m reef.ping -w
expect 4 "no thread named 'nobody'" -- -t nobody -m reef.ping -w
expect 4 "no handler named 'no.such'" -- -t 1 -m no.such -w
expect 7 "wants a percentage" -- -t worker_1_0 -m reefd.load -d lots -w
expect 7 "wants a poller id" -- -t 1 -m reef.poller.pause -w
head -c 1025 /dev/zero >"$payload"
expect 2 "over the 1024-byte payload limit" -- -t 1 -m reef.ping -f "$payload"
expect 2 "cannot read /: Is a directory" -- -t 1 -m reef.ping -f /
expect 2 "say which thread" -- -m reef.ping
expect 2 "unknown option" -- --frobnicate
expect 2 "hex byte" -- -t 1 -m reef.ping -x zz
expect 3 "no Reef primary named 't_none_$$'" -- -n "t_none_$$" -t 1 -m reef.ping

# Fill the client table (--max-clients 2) with two clients that hang on a reply.
for i in 1 2; do
	"$BIN"/reef-post -n "$name" -t 1 -m reef.ping -w -c 1000000000 -q >/dev/null 2>&1 &
	holders+=($!)
done
deadline=$((SECONDS + 20))
until [ "$("$BIN"/reef-post -n "$name" -l 2>&1 | grep -c 'no free client slot')" -eq 1 ]; do
	[ $SECONDS -lt $deadline ] || fail "the client table never filled"
	sleep 0.1
done
expect 3 "no free client slot (2 in use): raise its --max-clients" -- -t 1 -m reef.ping -w
for h in "${holders[@]}"; do kill -9 "$h"; wait "$h" 2>/dev/null; done
holders=()
# Their slots come back (the reaper notices dead clients within 100 ms).
deadline=$((SECONDS + 10))
until post -t 1 -m reef.ping -w >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || fail "slots of killed clients were not reclaimed"
	sleep 0.1
done

kill -0 "$pid" || fail "reefd died"
kill -TERM "$pid"
wait_exit "$pid" 30 || { cat "$out"; fail "reefd did not exit cleanly"; }
pid=
check_no_leftovers "$name"
echo "ok: reef-post round trips and every bad input"
