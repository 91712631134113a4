#!/usr/bin/env python3
"""Whole-process benchmark: `tier apply` against DuckDB and Polars on the same job.

    python3 bench/run.py [--rows 1M,10M] [--runs 5] [--write]

The job: the four-tier policy (bench/four_tiers.tier; the same rules as
bench/peers/tiers.sql and polars_tier.py), customer CSV in -> `id,tier` CSV out.
Every tool runs once per round, rounds interleaved, so drift on the machine hits
all of them alike. Each run's wall time, CPU time (user+sys) and peak RSS come
from wait4(2). Outputs must be byte-identical across tools (checked every run).
Also timed, for tier only: full output (tiers, labels, strategies) as CSV and
NDJSON, the plain single-threaded path (TIER_PLAIN_PATH=1), and the
every-feature policy (bench/all_features.tier).

Setup (once):  python3 -m pip install -r bench/requirements.txt
Data: bench/data/customers_{1M,10M}.csv, made by gen_customers.py if absent
(deterministic: same rows, same bytes). --write replaces the results section of
BENCHMARKS.md with the table.
"""
import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
OUT = os.path.join(DATA, "out")
TIER = os.path.join(ROOT, "target", "release", "tier")


def rows_arg(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def run(cmd, env=None):
    """Runs cmd; returns (wall s, cpu s, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def jobs(src, size):
    policy = os.path.join(HERE, "four_tiers.tier")
    every = os.path.join(HERE, "all_features.tier")
    duck = shutil.which("duckdb")
    o = lambda name: os.path.join(OUT, f"{name}_{size}")
    plain = dict(os.environ, TIER_PLAIN_PATH="1")
    tier = [TIER, "apply", "--summary", "none"]
    compared = [
        ("tier", tier + ["--tiers-only", policy, src, "-o", o("tier.csv")], None, o("tier.csv")),
        ("duckdb (CLI)", ["bash", os.path.join(HERE, "peers", "duckdb_cli_tier.sh"), duck, src, o("duckdb.csv")], None,
         o("duckdb.csv")),
        ("polars (lazy)", [sys.executable, os.path.join(HERE, "peers", "polars_tier.py"), src, o("polars.csv")], None,
         o("polars.csv")),
    ]
    extra = [
        ("tier, full CSV", tier + [policy, src, "-o", o("full.csv")], None, None),
        ("tier, full NDJSON", tier + [policy, src, "-o", o("full.ndjson")], None, None),
        ("tier, every feature", tier + ["--as-of", "2025-06-30", every, src, "-o", o("every.csv")], None, None),
    ]
    if size in ("100k", "1M"):  # the single-threaded path is 10x slower: not at 10M
        extra.insert(0, ("tier, plain path", tier + ["--tiers-only", policy, src, "-o", o("plain.csv")], plain,
                         o("plain.csv")))
    return compared, extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=rows_arg, default=["1M", "10M"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="write the table into BENCHMARKS.md")
    args = ap.parse_args()
    if not shutil.which("duckdb"):
        sys.exit("duckdb not on PATH: python3 -m pip install -r bench/requirements.txt")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    sections = []
    for size in args.rows:
        src = os.path.join(DATA, f"customers_{size}.csv")
        if not os.path.exists(src):
            print(f"generating {src}", file=sys.stderr)
            subprocess.run([sys.executable, os.path.join(HERE, "gen_customers.py"), size, src], check=True)
        compared, extra = jobs(src, size)
        results = {name: [] for name, *_ in compared + extra}
        for r in range(args.runs):
            for name, cmd, env, _ in compared + extra:
                results[name].append(run(cmd, env))
            hashes = {name: digest(out) for name, _, _, out in compared + extra if out}
            if len(set(hashes.values())) != 1:
                sys.exit(f"outputs differ at {size}: {hashes}")
            print(f"{size} round {r + 1}/{args.runs}: " + ", ".join(
                f"{n} {results[n][-1][0]:.2f}s" for n in results), file=sys.stderr)
        sections.append(table(size, src, results, [c[0] for c in compared]))
    text = header(args) + "\n".join(sections)
    print(text)
    if args.write:
        write(text)


def table(size, src, results, compared):
    med = {n: tuple(statistics.median(x[i] for x in runs) for i in range(3)) for n, runs in results.items()}
    duck = med["duckdb (CLI)"][0]
    lines = [
        f"### {size} rows ({os.path.getsize(src) / 1e6:.0f} MB CSV)",
        "",
        "| tool | median wall | min wall | CPU (user+sys) | peak RSS | wall / DuckDB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, (wall, cpu, rss) in med.items():
        best = min(x[0] for x in results[n])
        name = f"**{n}**" if n == "tier" else n
        lines.append(f"| {name} | {wall:.3f} s | {best:.3f} s | {cpu:.2f} s | {rss:.0f} MiB | {wall / duck:.2f} |")
        if n == compared[-1]:
            lines.append("| *tier only, not compared:* | | | | | |")
    lines.append("")
    return "\n".join(lines)


def header(args):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = []
    for cmd in (["duckdb", "--version"], [sys.executable, "-c", "import polars; print('polars', polars.__version__)"],
                [TIER, "--version"]):
        try:
            versions.append(subprocess.run(cmd, capture_output=True, text=True).stdout.strip())
        except OSError:
            pass
    return (f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}), {platform.system()} "
            f"{platform.release()}; {', '.join(versions)}. Median of {args.runs} interleaved rounds; "
            f"command: `python3 bench/run.py --rows {','.join(args.rows)} --runs {args.runs}`.\n\n")


def write(text):
    path = os.path.join(ROOT, "BENCHMARKS.md")
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    doc = open(path, encoding="utf-8").read()
    a, b = doc.index(begin) + len(begin), doc.index(end)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc[:a] + "\n" + text + doc[b:])


if __name__ == "__main__":
    main()
