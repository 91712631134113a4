#!/usr/bin/env python3
"""The other inputs of bench/run.py, made from a clean customer CSV (deterministic):

    python3 bench/make_inputs.py dirty IN.csv OUT.csv   # one bad cell per 1000 rows; prints how many
    python3 bench/make_inputs.py ndjson IN.csv OUT.ndjson
    python3 bench/make_inputs.py json IN.csv OUT.json   # one JSON array
    python3 bench/make_inputs.py shuffled IN.csv OUT.csv  # the rows in a random (seeded) order

The dirty copy puts, in every 1000th data row, a value no reader may accept
into a column the tiers read: an amount `n/a` or `12.3.4`, a count `x` or
`-`. Every such row must end up in tier's reject report and be skipped by
DuckDB's `ignore_errors`. (Only read columns: DuckDB does not cast a column
a query does not select, so a bad date there would be skipped by tier, which
checks every declared column, and kept by DuckDB.)

The shuffled copy is the same rows with their keys out of order: tier bets
that an export's keys increase and checks their order instead of hashing
them; here the bet is lost at the first chunk and the run starts again,
hashing every key.
"""
import csv
import json
import random
import sys

BAD = [(3, "n/a"), (4, "x"), (3, "12.3.4"), (4, "-")]


def dirty(src, dst):
    bad = 0
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="", encoding="utf-8") as g:
        r, w = csv.reader(f), csv.writer(g, lineterminator="\n")
        w.writerow(next(r))
        for i, row in enumerate(r):
            if i % 1000 == 500:
                col, value = BAD[(i // 1000) % len(BAD)]
                row[col] = value
                bad += 1
            w.writerow(row)
    print(bad)


def records(src):
    with open(src, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield row


def ndjson(src, dst):
    with open(dst, "w", encoding="utf-8") as g:
        for row in records(src):
            g.write(json.dumps(row, ensure_ascii=False) + "\n")


def json_array(src, dst):
    with open(dst, "w", encoding="utf-8") as g:
        g.write("[\n")
        for i, row in enumerate(records(src)):
            g.write((",\n" if i else "") + json.dumps(row, ensure_ascii=False))
        g.write("\n]\n")


def shuffled(src, dst):
    with open(src, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        head, rows = next(r), list(r)
    random.Random(7).shuffle(rows)
    with open(dst, "w", newline="", encoding="utf-8") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)


if __name__ == "__main__":
    kind, src, dst = sys.argv[1:4]
    {"dirty": dirty, "ndjson": ndjson, "json": json_array, "shuffled": shuffled}[kind](src, dst)
