#!/usr/bin/env python3
"""summary.py - one closing line for meson's test logs: cmocka cases counted.

Each meson test is a cmocka program with many cases; this adds up the
cases of every program from meson's testlog.json files.  A program that
died before cmocka's summary counts as one failed case, a skipped program
as one skipped case.
"""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f"summary: {path}: {e.strerror}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        p = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        f = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        s = sum(int(n) for n in re.findall(r"\[  SKIPPED \] (\d+) test", out))
        if t["result"] == "SKIP":
            s = max(s, 1)
        elif t["result"] != "OK" and f == 0:
            f = 1
        passed, failed, skipped = passed + p, failed + f, skipped + s
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
