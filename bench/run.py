#!/usr/bin/env python3
"""Whole-process benchmark: `tier apply` against DuckDB and Polars on the same job.

    python3 bench/run.py [--rows 1M,10M] [--runs 5] [--write]

The job: the four-tier policy over the export's whole schema
(bench/four_tiers_wide.tier; the same rules as bench/peers/tiers.sql and
polars_tier.py), customer CSV in -> `id,tier` CSV out. The dirty job: the same
file with one bad cell per 1000 rows, tier's `--on-error skip` against DuckDB's
`ignore_errors` (bench/peers/tiers_typed.sql); the outputs must be identical
and every bad row in tier's reject report.
Every tool runs once per round, rounds interleaved, so drift on the machine hits
all of them alike. Each run's wall time, CPU time (user+sys) and peak RSS come
from wait4(2). Outputs must be byte-identical across tools (checked every run).
Also timed, for tier only: full output (tiers, labels, strategies) as CSV and
NDJSON, the narrow schema (bench/four_tiers.tier), the value x lifecycle
policy (bench/lifecycle.tier) and its yardstick of the same shape without ages
(bench/two_dimensions.tier), the every-feature policy
(bench/all_features.tier), the same rows with their keys shuffled (tier's bet
that keys increase lost: it runs again hashing them), NDJSON and JSON array input of the same rows (up
to 1M rows), and the plain single-threaded path (TIER_PLAIN_PATH=1, up to 1M).
`--compared-only --dirty ""` times the clean job alone: rounds of tier, DuckDB
and Polars with nothing else between them.

Setup (once):  python3 -m pip install -r bench/requirements.txt
Data: bench/data/customers_{1M,10M}.csv, made by gen_customers.py if absent
(deterministic: same rows, same bytes). --write replaces the results section of
BENCHMARKS.md with the table.
"""
import argparse
import csv
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


def made(kind, src, size, ext):
    """A copy of src made by make_inputs.py (once); for `dirty`, also the bad rows' count."""
    dst = os.path.join(DATA, f"customers_{size}_{kind}.{ext}")
    count = dst + ".bad"
    if not os.path.exists(dst) or (kind == "dirty" and not os.path.exists(count)):
        print(f"making {dst}", file=sys.stderr)
        out = subprocess.run([sys.executable, os.path.join(HERE, "make_inputs.py"), kind, src, dst],
                             check=True, capture_output=True, text=True).stdout
        if kind == "dirty":
            with open(count, "w") as f:
                f.write(out)
    return dst, (int(open(count).read()) if kind == "dirty" else None)


def jobs(src, size):
    policy = os.path.join(HERE, "four_tiers_wide.tier")
    narrow = os.path.join(HERE, "four_tiers.tier")
    every = os.path.join(HERE, "all_features.tier")
    lifecycle = os.path.join(HERE, "lifecycle.tier")
    two = os.path.join(HERE, "two_dimensions.tier")
    duck = shutil.which("duckdb")
    o = lambda name: os.path.join(OUT, f"{size}_{name}")
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
        ("tier, narrow schema", tier + ["--tiers-only", narrow, src, "-o", o("narrow.csv")], None, o("narrow.csv")),
        ("tier, full CSV", tier + [policy, src, "-o", o("full.csv")], None, None),
        ("tier, full NDJSON", tier + [policy, src, "-o", o("full.ndjson")], None, None),
        ("tier, value x lifecycle", tier + ["--tiers-only", lifecycle, src, "-o", o("life.csv")], None, None),
        ("tier, two dimensions, no ages", tier + ["--tiers-only", two, src, "-o", o("two.csv")], None, None),
        ("tier, every feature", tier + ["--as-of", "2025-06-30", every, src, "-o", o("every.csv")], None, None),
        # The same rows out of key order (another output order: not compared).
        ("tier, keys shuffled", tier + ["--tiers-only", policy, made("shuffled", src, size, "csv")[0], "-o",
                                        o("shuffled.csv")], None, None),
    ]
    if size in ("100k", "1M"):  # the single-threaded path is 10x slower, JSON copies big: not at 10M
        nd, _ = made("ndjson", src, size, "ndjson")
        js, _ = made("json", src, size, "json")
        extra += [
            ("tier, NDJSON in", tier + ["--tiers-only", policy, nd, "-o", o("nd.csv")], None, o("nd.csv")),
            ("tier, JSON array in", tier + ["--tiers-only", policy, js, "-o", o("js.csv")], None, o("js.csv")),
            ("tier, plain path", tier + ["--tiers-only", policy, src, "-o", o("plain.csv")], plain, o("plain.csv")),
        ]
    return compared, extra


def dirty_jobs(src, size):
    """The dirty job: tier skipping bad rows into a reject report, DuckDB ignoring them."""
    dirty, bad = made("dirty", src, size, "csv")
    o = lambda name: os.path.join(OUT, f"{size}_{name}")
    policy = os.path.join(HERE, "four_tiers_wide.tier")
    tier = [TIER, "apply", "--summary", "none", "--tiers-only", "--on-error", "skip", "--rejects", o("rejects.csv")]
    duck = dict(os.environ, SQL="tiers_typed.sql")
    compared = [
        ("tier --on-error skip", tier + [policy, dirty, "-o", o("dirty_tier.csv")], None, o("dirty_tier.csv")),
        ("duckdb ignore_errors", ["bash", os.path.join(HERE, "peers", "duckdb_cli_tier.sh"), shutil.which("duckdb"),
                                  dirty, o("dirty_duck.csv")], duck, o("dirty_duck.csv")),
    ]
    return dirty, bad, compared, o("rejects.csv")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=rows_arg, default=["1M", "10M"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dirty", type=rows_arg, default=["10M"], help="sizes to run the dirty job at")
    ap.add_argument("--write", action="store_true", help="write the table into BENCHMARKS.md")
    ap.add_argument("--compared-only", action="store_true",
                    help="only tier, DuckDB and Polars on the clean job (rounds of three, nothing between them)")
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
        extra = [] if args.compared_only else extra
        sections.append(table(size, src, rounds(args, size, compared + extra), [c[0] for c in compared]))
        if size in args.dirty:
            dirty, bad, compared, rejects = dirty_jobs(src, size)
            results = rounds(args, f"{size} dirty", compared)
            with open(rejects, newline="", encoding="utf-8") as f:
                got = sum(1 for _ in csv.reader(f)) - 1
            if got != bad:
                sys.exit(f"{size} dirty: {got} rows in tier's reject report, {bad} bad rows in the input")
            sections.append(table(f"{size} dirty", dirty, results, [c[0] for c in compared], base=compared[1][0],
                                  note=f"{bad:,} bad rows, all in tier's reject report"))
    text = header(args) + "\n".join(sections)
    print(text)
    if args.write:
        write(text)


def rounds(args, label, all_jobs):
    """Every job once per round, rounds interleaved; outputs checked identical each round."""
    results = {name: [] for name, *_ in all_jobs}
    for r in range(args.runs):
        for name, cmd, env, _ in all_jobs:
            results[name].append(run(cmd, env))
        hashes = {name: digest(out) for name, _, _, out in all_jobs if out}
        if len(set(hashes.values())) != 1:
            sys.exit(f"outputs differ at {label}: {hashes}")
        print(f"{label} round {r + 1}/{args.runs}: " + ", ".join(
            f"{n} {results[n][-1][0]:.2f}s" for n in results), file=sys.stderr)
    return results


def table(size, src, results, compared, base="duckdb (CLI)", note=""):
    med = {n: tuple(statistics.median(x[i] for x in runs) for i in range(3)) for n, runs in results.items()}
    duck = med[base][0]
    lines = [
        f"### {size} rows ({os.path.getsize(src) / 1e6:.0f} MB CSV{'; ' + note if note else ''})",
        "",
        f"| tool | median wall | min wall | CPU (user+sys) | peak RSS | wall / {base} |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, (wall, cpu, rss) in med.items():
        best = min(x[0] for x in results[n])
        name = f"**{n}**" if n == compared[0] else n
        lines.append(f"| {name} | {wall:.3f} s | {best:.3f} s | {cpu:.2f} s | {rss:.0f} MiB | {wall / duck:.2f} |")
        if n == compared[-1] and len(med) > len(compared):
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
