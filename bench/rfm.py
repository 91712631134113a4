#!/usr/bin/env python3
"""Whole-process benchmark of RFM from the UCI Online Retail transaction logs:
`tier apply policies/rfm.tier --events FILE` against the same recipe written by
hand in DuckDB SQL (bench/peers/rfm.sql, run by the DuckDB CLI) and in pandas
(tests/tools/rfm_pandas.py, the way the public notebooks write it).

    python3 bench/rfm.py [--runs 5] [--x10] [--write]

Every tool runs once per round, rounds interleaved. Wall time, CPU time
(user+sys) and peak RSS come from wait4(2). The (customer, segment) pairs must be
identical across the three tools on every run. --x10 adds the first log ten
times over, each copy with its own customers and invoices (bench/warehouse.py's
`tenfold`), against DuckDB only (pandas takes about 20 s a run there; its 1x
runs already check the recipe), and the monthly job on it: policies/
retail_monthly.tier for December 2011 with November's output as the previous
run (retention rules, a budget), against the same policy compiled to SQL by
`tier compile --dialect duckdb` and run by the DuckDB CLI; every customer's
tier, movement, metrics and budget must agree. --write replaces the RFM section
of BENCHMARKS.md with the tables.

Setup (once): python3 -m pip install -r bench/requirements.txt pandas==2.2.3
duckdb==1.1.3 (--x10 makes the big log with DuckDB's Python module);
cargo build --release. Data: ../shared/data (see its README).
"""
import argparse
import csv
from decimal import Decimal
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "..", "shared", "data")
TIER = os.path.join(ROOT, "target", "release", "tier")
sys.path.insert(0, HERE)
from run import run  # noqa: E402  (the same wait4 measurement as bench/run.py)

FILES = [("online_retail.csv", "2011-12-11", 1), ("online_retail_II_2009_2010.csv", "2010-12-11", 1)]
# The log's columns typed as the policies type them, for DuckDB's read_csv.
LOG_COLUMNS = (
    "{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR', "
    "'Quantity': 'DECIMAL(18, 4)', 'InvoiceDate': 'TIMESTAMP', 'UnitPrice': 'DECIMAL(18, 4)', "
    "'CustomerID': 'BIGINT', 'Country': 'VARCHAR'}"
)


def segments(path, key_col=0, seg_col=1):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return sorted((str(int(float(r[key_col]))), r[seg_col]) for r in rows)


def commands(events, as_of, out):
    sql = "\n".join(l for l in open(os.path.join(HERE, "peers", "rfm.sql")) if not l.startswith("--"))
    sql = sql.replace("__SRC__", "'" + events.replace("'", "''") + "'").replace("__ASOF__", f"'{as_of}'")
    duckdb = shutil.which("duckdb") or sys.exit("duckdb CLI not found: pip install -r bench/requirements.txt")
    return {
        "tier": [TIER, "apply", os.path.join(ROOT, "policies", "rfm.tier"), "--events", events, "--as-of", as_of,
                 "--summary", "none", "--tiers-only", "-o", out["tier"]],
        "DuckDB CLI": [duckdb, "-c", f"COPY ({sql}) TO '{out['DuckDB CLI']}' (HEADER, DELIMITER ',')"],
        "pandas": [sys.executable, os.path.join(ROOT, "tests", "tools", "rfm_pandas.py"), events, as_of,
                   out["pandas"]],
    }


def monthly_rows(path):
    """Per customer: tier, movement, months below, spend, orders and budget, numbers as Decimals."""
    with open(path, newline="") as f:
        return {int(r["customer"]): (r["value"], r["value_movement"], int(r["value_below"] or 0),
                                     Decimal(r["spend"] or 0), Decimal(r["orders"] or 0),
                                     Decimal(r["budget.loyalty"] or 0)) for r in csv.DictReader(f)}


def monthly(events, name, tmp, runs):
    """The monthly job (policies/retail_monthly.tier: 12-month metrics, retention
    against last month's output, a loyalty budget) for December 2011 on `events`:
    tier against the same policy compiled to SQL (`tier compile --dialect duckdb`)
    run by the DuckDB CLI. Last month's output, which both read, is made once by
    tier. Returns the section's lines."""
    policy = os.path.join(ROOT, "policies", "retail_monthly.tier")
    prev = os.path.join(tmp, "monthly_prev.csv")
    subprocess.run([TIER, "apply", policy, "--events", events, "--as-of", "2011-11-01", "-o", prev,
                    "--summary", "none"], check=True)
    log = f"read_csv('{events}', header = true, nullstr = '', columns = {LOG_COLUMNS})"
    previous = (f"read_csv('{prev}', header = true, all_varchar = true, "
                "types = {'customer': 'BIGINT', 'value_entered': 'DATE', 'value_below': 'INTEGER'})")
    cols = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    sql = subprocess.run([TIER, "compile", policy, "--dialect", "duckdb", "--events-table", log, "--events-columns",
                          cols, "--previous-table", previous, "--as-of", "2011-12-01"],
                         check=True, capture_output=True, text=True).stdout
    sql = "\n".join(l for l in sql.splitlines() if not l.startswith("--"))
    out = {t: os.path.join(tmp, f"monthly_{t.split()[0]}.csv") for t in ["tier", "DuckDB CLI"]}
    cmds = {
        "tier": [TIER, "apply", policy, "--events", events, "--as-of", "2011-12-01", "--previous", prev,
                 "--summary", "none", "-o", out["tier"]],
        "DuckDB CLI": [shutil.which("duckdb"), "-c", f"COPY ({sql}) TO '{out['DuckDB CLI']}' (HEADER, DELIMITER ',')"],
    }
    times = {t: [] for t in cmds}
    for _ in range(runs):
        for tool, cmd in cmds.items():
            times[tool].append(run(cmd))
        want, got = monthly_rows(out["tier"]), monthly_rows(out["DuckDB CLI"])
        if got != want:
            diff = [(k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
            sys.exit(f"the compiled SQL disagrees with tier on the monthly job: {diff[:5]}")
    return [f"### Monthly job, `{name}` ({os.path.getsize(events) / 1e6:.0f} MB, as of "
            f"2011-12-01 with November's output, {len(want):,} customers)", ""] + table(times)


def table(times):
    """The rows of a section's table: median wall and CPU, peak RSS, against tier."""
    lines = ["| tool | wall (median) | CPU (median) | peak RSS | tool / tier |", "| --- | ---: | ---: | ---: | ---: |"]
    base = statistics.median(w for w, _, _ in times["tier"])
    for tool, runs in times.items():
        wall = statistics.median(w for w, _, _ in runs)
        cpu = statistics.median(c for _, c, _ in runs)
        rss = max(r for _, _, r in runs)
        lines.append(f"| {tool} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MiB | {wall / base:.2f} |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--x10", action="store_true")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    files = FILES + ([("online_retail.csv", "2011-12-11", 10)] if a.x10 else [])
    if not os.path.exists(TIER):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp()
    sections = []
    for name, as_of, copies in files:
        events = os.path.abspath(os.path.join(DATA, name))
        if not os.path.exists(events):
            sys.exit(f"{events} is absent")
        if copies > 1:
            # In a child process: the copy held here would count in every later
            # run's peak RSS (a forked child starts with its parent's pages).
            big = os.path.join(tmp, f"x{copies}_{name}")
            make = f"import sys; sys.path.insert(0, {HERE!r}); from warehouse import tenfold; tenfold(*sys.argv[1:])"
            subprocess.run([sys.executable, "-c", make, events, big], check=True)
            events, name = big, f"{name} ×{copies}"
        out = {t: os.path.join(tmp, f"{t.split()[0]}.csv") for t in ["tier", "DuckDB CLI", "pandas"]}
        cmds = commands(events, as_of, out)
        if copies > 1:
            del cmds["pandas"]
        times = {t: [] for t in cmds}
        for _ in range(a.runs):
            for tool, cmd in cmds.items():
                times[tool].append(run(cmd))
            want = segments(out["tier"])
            for tool in [t for t in cmds if t != "tier"]:
                got = segments(out[tool])
                if got != want:
                    diff = [(x, y) for x, y in zip(want, got) if x != y][:5]
                    sys.exit(f"{tool} disagrees with tier on {name}: {diff}")
        lines = [f"### `{name}` ({os.path.getsize(events) / 1e6:.0f} MB, as of {as_of}, {len(want):,} customers)", ""]
        sections.append("\n".join(lines + table(times)))
        print(sections[-1] + "\n")
        if copies > 1:
            sections.append("\n".join(monthly(events, name, tmp, a.runs)))
            print(sections[-1] + "\n")
    shutil.rmtree(tmp)
    text = "\n\n".join(sections) + (
        f"\n\n{a.runs} interleaved rounds on {platform.machine()}, {os.cpu_count()} cores; "
        "the tools' (customer, segment) pairs were identical on every run.")
    if a.write:
        path = os.path.join(ROOT, "BENCHMARKS.md")
        doc = open(path).read()
        begin, end = "<!-- rfm:begin -->", "<!-- rfm:end -->"
        if begin not in doc:
            sys.exit("BENCHMARKS.md has no rfm markers")
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        open(path, "w").write(f"{head}{begin}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
