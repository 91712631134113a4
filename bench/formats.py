#!/usr/bin/env python3
"""Parquet and Excel against CSV for `tier apply` (BENCHMARKS.md, "Formats").

    python3 -m pip install numpy pyarrow
    cargo build --release
    python3 bench/formats.py --rows 1M --runs 3

Makes the benchmark customers (bench/gen_customers.py) as CSV, converts them
to Parquet with pyarrow (typed: decimal128 money, date32 dates, 65,536-row
groups, Snappy), then times `tier apply bench/four_tiers.tier` on each input
and output format, and on a quarter of the rows to show that memory does not
grow with the input. Reports the median wall time and the peak RSS (from
wait4) of each; checks that the CSV output is byte-identical whatever the input,
and the Parquet output whatever the input and path.
"""
import argparse
import filecmp
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TIER = ROOT / "target" / "release" / "tier"
POLICY = ROOT / "bench" / "four_tiers.tier"


def rows_of(text):
    text = text.strip()
    mult = {"k": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(text.rstrip("kM")) * mult


def data(rows, work):
    csv = work / f"customers_{rows}.csv"
    if not csv.exists():
        subprocess.run([sys.executable, ROOT / "bench" / "gen_customers.py", str(rows), csv], check=True)
    parquet = csv.with_suffix(".parquet")
    if not parquet.exists():
        # In a child process: pyarrow in this one would count in every tier
        # run's peak RSS (a forked child starts with its parent's pages).
        subprocess.run([sys.executable, __file__, "--to-parquet", csv, parquet], check=True)
    return csv, parquet


def to_parquet(csv, parquet):
    import pyarrow as pa
    import pyarrow.csv as pc
    import pyarrow.parquet as pq

    types = {
        "id": pa.string(), "name": pa.string(), "region": pa.string(),
        "annual_spend": pa.decimal128(18, 2), "orders_per_quarter": pa.decimal128(18, 2),
        "first_purchase": pa.date32(), "last_purchase": pa.date32(),
    }
    table = pc.read_csv(csv, convert_options=pc.ConvertOptions(column_types=types))
    pq.write_table(table, parquet, row_group_size=65_536, compression="snappy")


def run(args, env=None):
    """Wall seconds and peak RSS (MiB) of one `tier` run."""
    start = time.perf_counter()
    proc = subprocess.Popen([TIER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if status != 0:
        sys.exit(f"tier {' '.join(map(str, args))} failed (wait status {status}): {err}")
    return wall, usage.ru_maxrss / 1024


def main():
    if sys.argv[1:2] == ["--to-parquet"]:
        return to_parquet(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="1M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=str(ROOT / "target" / "bench-formats"))
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = rows_of(a.rows)
    plain = dict(os.environ, TIER_PLAIN_PATH="1")
    cases = []
    for n in (rows // 4, rows):
        csv, parquet = data(n, work)
        out = work / "out"
        cases += [
            (n, "CSV → CSV (parallel path)", [POLICY, csv, "-o", f"{out}.csv"], None),
            (n, "CSV → CSV (plain path)", [POLICY, csv, "-o", f"{out}-plain.csv"], plain),
            (n, "Parquet → CSV", [POLICY, parquet, "-o", f"{out}-pq.csv"], None),
            (n, "Parquet → Parquet", [POLICY, parquet, "-o", f"{out}.parquet"], None),
            (n, "CSV → Parquet", [POLICY, csv, "-o", f"{out}-2.parquet"], None),
            (n, "CSV → Parquet (plain path)", [POLICY, csv, "-o", f"{out}-plain.parquet"], plain),
            (n, "CSV → JSON array", [POLICY, csv, "-o", f"{out}.json"], None),
        ]
        if n <= 1_048_575:
            cases.append((n, "CSV → Excel", [POLICY, csv, "-o", f"{out}.xlsx"], None))
    results = {}
    for _ in range(a.runs):
        for n, name, args, env in cases:
            results.setdefault((n, name), []).append(run(["apply", *args, "--summary", "none"], env))
        # Compared in chunks: outputs read whole would grow this process, and
        # with it the peak RSS its next children start from.
        first = work / "out.csv"
        if not all(filecmp.cmp(first, work / f"out{s}.csv", shallow=False) for s in ("-plain", "-pq")):
            sys.exit("the outputs differ between inputs")
        first = work / "out.parquet"
        if not all(filecmp.cmp(first, work / f"out{s}.parquet", shallow=False) for s in ("-plain", "-2")):
            sys.exit("the Parquet outputs differ between inputs or paths")
    print(f"| rows | run | wall (median of {a.runs}) | peak RSS |")
    print("|---:|---|---:|---:|")
    for (n, name), rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        rss = max(r[1] for r in rs)
        print(f"| {n:,} | {name} | {wall:.2f} s | {rss:.0f} MiB |")


if __name__ == "__main__":
    main()
