"""The compiled RFM query on DuckDB against `tier apply --events`, on the UCI
Online Retail log and on ten copies of it (docs/warehouse.md).

    python3 bench/warehouse.py TIER_BINARY UCI_CSV [--rounds N]

The 10x log is the log ten times over, each copy with its own customers
(CustomerID + k*100000) and invoices (a prefix), so there are ten times the
lines and ten times the customers. Each round runs, interleaved: DuckDB on 1x,
tier on 1x, DuckDB on 10x, tier on 10x; wall time of each, from the CSV to the
tiered customers (DuckDB reads the CSV inside the query, typed as the policy
types it). Every run's customers and segments must agree with the other
tool's, or it stops.
"""
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

from rfm import LOG_COLUMNS as COLUMNS  # noqa: E402  (the log typed as the policies type it)


def tenfold(src, dst):
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="", encoding="utf-8") as out:
        rows = list(csv.reader(f))
        w = csv.writer(out)
        w.writerow(rows[0])
        inv, cust = rows[0].index("InvoiceNo"), rows[0].index("CustomerID")
        for k in range(10):
            for r in rows[1:]:
                r = list(r)
                r[inv] = (r[inv][0] + f"{k}" + r[inv][1:]) if r[inv].startswith("C") else f"{k}{r[inv]}"
                if r[cust]:
                    r[cust] = str(int(float(r[cust])) + k * 100000)
                w.writerow(r)


def compile_rfm(tier, log):
    table = f"read_csv('{log}', header = true, nullstr = '', columns = {COLUMNS})"
    cols = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    out = subprocess.run(
        [tier, "compile", "policies/rfm.tier", "--dialect", "duckdb", "--events-table", table, "--events-columns", cols],
        check=True, capture_output=True, text=True,
    )
    return out.stdout


def run_duckdb(sql):
    t = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(sql).fetchall()
    wall = time.perf_counter() - t
    return wall, {str(r[0]): r[1] for r in rows}


def run_tier(tier, log):
    t = time.perf_counter()
    out = subprocess.run(
        [tier, "apply", "policies/rfm.tier", "--events", log, "--tiers-only", "--format", "ndjson", "--summary", "none"],
        check=True, capture_output=True, text=True,
    )
    wall = time.perf_counter() - t
    rows = [json.loads(line) for line in io.StringIO(out.stdout)]
    return wall, {r["customer"]: r["segment"] for r in rows}


def main():
    tier, log = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "online_retail_x10.csv")
        tenfold(log, big)
        sizes = {"1x": log, "10x": big}
        sql = {k: compile_rfm(tier, v) for k, v in sizes.items()}
        times = {(k, tool): [] for k in sizes for tool in ("duckdb", "tier")}
        for _ in range(rounds):
            for k, path in sizes.items():
                dw, dseg = run_duckdb(sql[k])
                tw, tseg = run_tier(tier, path)
                if dseg != tseg:
                    sys.exit(f"{k}: DuckDB and tier disagree on {sum(dseg.get(c) != s for c, s in tseg.items())} customers")
                times[(k, "duckdb")].append(dw)
                times[(k, "tier")].append(tw)
                print(f"{k}: {len(tseg)} customers, DuckDB {dw:.2f} s, tier {tw:.2f} s", flush=True)
        for (k, tool), ws in times.items():
            print(f"median {k} {tool}: {statistics.median(ws):.2f} s over {len(ws)} run(s)")


if __name__ == "__main__":
    main()
