#!/usr/bin/env python3
"""Which processes used the CPU, every half second, from /proc (scripts/bench-scale.sh runs it beside
`bench scale`).

    python3 scripts/cpu-sampler.py LOG                       # sample until killed: a line per 0.5 s
    python3 scripts/cpu-sampler.py --window DIR FROM_S TO_S  # cores used per process in each half second
                                                             # between FROM_S and TO_S after DIR/start

A LOG line is the Unix time, then `pid/name/ticks` (user + system clock ticks so far) of every process
that has used more than half a second. The window view prints, per interval, the cores used in all and
by the busiest processes (a burst's seconds: were the processors busy, or waiting?).
"""
import os
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def sample(log_path: str) -> None:
    with open(log_path, "w") as out:
        while True:
            t = time.time()
            rows = []
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue  # gone meanwhile
                close = stat.rfind(")")
                name = stat[stat.find("(") + 1 : close].replace(" ", "_").replace("/", "_")
                fields = stat[close + 2 :].split()
                ticks = int(fields[11]) + int(fields[12])
                if ticks > TICKS // 2:
                    rows.append(f"{pid}/{name}/{ticks}")
            out.write(f"{t:.2f} " + " ".join(rows) + "\n")
            out.flush()
            time.sleep(0.5)


def window(run_dir: str, lo: float, hi: float) -> None:
    with open(f"{run_dir}/start") as f:
        start = float(f.read())
    snaps = []
    with open(f"{run_dir}/cpu.log") as f:
        for line in f:
            parts = line.split()
            t = float(parts[0]) - start
            if lo <= t <= hi:
                # by pid (a kernel worker's name changes with its work): its name and ticks
                snaps.append((t, {p.split("/", 1)[0]: (p.split("/", 1)[1].rsplit("/", 1)[0], int(p.rsplit("/", 1)[1])) for p in parts[1:]}))
    for (t0, a), (t1, b) in zip(snaps, snaps[1:]):
        # a process first seen in this interval counts from the sampler's threshold, not from zero
        used = {pid: (name, (ticks - a[pid][1] if pid in a else 0) / TICKS / (t1 - t0)) for pid, (name, ticks) in b.items()}
        top = sorted(((c, pid, name) for pid, (name, c) in used.items() if c >= 0.05), reverse=True)[:8]
        print(f"{t1:7.1f}s  all {sum(c for _, c in used.values()):4.2f}  " + "  ".join(f"{name}:{pid} {c:.2f}" for c, pid, name in top))


if __name__ == "__main__":
    if len(sys.argv) == 2:
        sample(sys.argv[1])
    elif len(sys.argv) == 5 and sys.argv[1] == "--window":
        window(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
