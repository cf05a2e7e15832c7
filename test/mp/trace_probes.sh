#!/usr/bin/env bash
# The USDT probes of reefd are exactly those of doc/usdt.md's table (and of
# REEF_USDT_PROBES() in include/reef/usdt.h, in the same order), each with as
# many arguments as the table lists.
set -u
. "$(dirname "$0")/common.sh"

command -v readelf >/dev/null || skip "readelf is not installed (binutils)"
[ -x "$BIN/reefd" ] || fail "no $BIN/reefd: build first"
readelf -n "$BIN/reefd" | grep -q 'Provider: reef$' || skip "reefd was built with CONFIG_USDT=n"

readelf -n "$BIN/reefd" | python3 -c '
import re, sys

root = sys.argv[1]
# readelf: every reef note, with its argument count (one note per call site).
notes, provider, name = {}, None, None
for line in sys.stdin:
    m = re.match(r"\s+Provider: (\S+)", line)
    if m:
        provider = m.group(1)
    m = re.match(r"\s+Name: (\S+)", line)
    if m:
        name = m.group(1)
    m = re.match(r"\s+Arguments:(.*)", line)
    if m and provider == "reef":
        n = len(m.group(1).split())
        if notes.setdefault(name, n) != n:
            sys.exit(f"probe {name}: call sites disagree on the argument count")

# doc/usdt.md: the table whose header starts with "| Probe | arg0".
doc, rows, inside = [], {}, False
for line in open(f"{root}/doc/usdt.md"):
    if line.startswith("| Probe | arg0"):
        inside = True
        continue
    if inside and not line.startswith("|"):
        break
    if inside and not line.startswith("|---"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if not m or len(cells) != 7:
            sys.exit(f"doc/usdt.md: bad table row: {line.strip()}")
        args = cells[1:6]
        n = sum(1 for a in args if a)
        if any(not a for a in args[:n]):
            sys.exit(f"doc/usdt.md: {m.group(1)} has a gap in its arguments")
        doc.append(m.group(1))
        rows[m.group(1)] = n

# include/reef/usdt.h: the X-macro list.
hdr = re.findall(r"^\s*X\((\w+)\)", open(f"{root}/include/reef/usdt.h").read(), re.M)

if not doc:
    sys.exit("doc/usdt.md: no probe table found")
if len(set(doc)) != len(doc):
    sys.exit("doc/usdt.md lists a probe twice")
missing, extra = sorted(set(notes) - set(doc)), sorted(set(doc) - set(notes))
if missing or extra:
    sys.exit(f"reefd and doc/usdt.md differ: not documented {missing}, not in reefd {extra}")
if hdr != doc:
    sys.exit(f"include/reef/usdt.h lists {hdr}, doc/usdt.md {doc}")
for p in doc:
    if rows[p] != notes[p]:
        sys.exit(f"{p}: reefd passes {notes[p]} arguments, doc/usdt.md lists {rows[p]}")
print(f"ok: {len(doc)} probes, the same in reefd, doc/usdt.md and usdt.h, with matching arguments")
' "$REEF_ROOT" || fail "probe list mismatch (above)"
