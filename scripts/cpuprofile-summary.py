#!/usr/bin/env python3
"""Where a Node process's CPU went, from a `.cpuprofile` (`node --cpu-prof --cpu-prof-interval 5000 …`):
self and inclusive time per function, self time per package (node_modules/…, app:<src folder>, Node's
core, the garbage collector, idle), and how busy the thread was in each 10 s, optionally only between
FROM and TO seconds after the profile began (a phase of a benchmark).

    python3 scripts/cpuprofile-summary.py PROFILE.cpuprofile [FROM_S TO_S]

Used for issue 16: the single processor at 100,000 series was busy 75-90% of every 10 s with no one hot
function (README, Benchmarks: "Several processors on the one box").
"""
import collections
import json
import re
import sys


def main() -> None:
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    p = json.load(open(sys.argv[1]))
    lo = float(sys.argv[2]) * 1e6 if len(sys.argv) == 4 else 0.0
    hi = float(sys.argv[3]) * 1e6 if len(sys.argv) == 4 else float("inf")
    nodes = {n["id"]: n for n in p["nodes"]}
    parent = {c: n["id"] for n in p["nodes"] for c in n.get("children", [])}

    def name(i: int) -> str:
        cf = nodes[i]["callFrame"]
        return f"{cf['functionName'] or '(anonymous)'} {cf['url'].split('/')[-1]}:{cf['lineNumber'] + 1}"

    def package(i: int) -> str:
        cf = nodes[i]["callFrame"]
        url = cf["url"]
        m = re.search(r"node_modules/((@[^/]+/)?[^/]+)", url)
        if m:
            return m.group(1)
        if "dist/src/" in url:
            return "app:" + url.split("dist/src/")[1].split("/")[0]
        if url.startswith("node:") or (url and "/" not in url):
            return "node core"
        return cf["functionName"] or "(native)"

    t, t0 = p["startTime"], None
    own, incl, pkg = collections.Counter(), collections.Counter(), collections.Counter()
    per10 = collections.defaultdict(collections.Counter)
    for sample, delta in zip(p["samples"], p["timeDeltas"]):
        t += delta
        t0 = t if t0 is None else t0
        rel = t - t0
        if not lo <= rel <= hi:
            continue
        own[name(sample)] += 1
        pkg[package(sample)] += 1
        seen, i = set(), sample
        while i is not None:
            if name(i) not in seen:
                seen.add(name(i))
                incl[name(i)] += 1
            i = parent.get(i)
        w = per10[int(rel // 10e6)]
        w["all"] += 1
        w["idle"] += name(sample).startswith("(idle)")
        w["gc"] += name(sample).startswith("(garbage collector)")
    total = sum(own.values()) or 1
    print(f"{total} samples")
    for title, counter, n in (("self", own, 30), ("inclusive", incl, 50), ("self by package", pkg, 25)):
        print(f"--- {title}")
        for k, v in counter.most_common(n):
            print(f"{100 * v / total:5.1f}% {k}")
    print("--- per 10 s: seconds from the start, busy %, garbage collector %")
    for b in sorted(per10):
        w = per10[b]
        print(f"{b * 10:5d} {100 * (w['all'] - w['idle']) / w['all']:4.0f} {100 * w['gc'] / w['all']:4.0f}")


if __name__ == "__main__":
    main()
