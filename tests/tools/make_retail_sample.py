"""Writes examples/online_retail_sample.csv: every invoice line of 40 customers
of ../shared/data/online_retail.csv (picked with a fixed seed), plus the lines
without a customer id of the same invoices' days, in file order. Small enough to
bundle, real enough to exercise cancellations, missing ids and ties.

    python3 tests/tools/make_retail_sample.py ../shared/data/online_retail.csv examples/online_retail_sample.csv
"""
import csv
import random
import sys

src, dst = sys.argv[1:3]
with open(src, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
cust = header.index("CustomerID")
ids = sorted({r[cust] for r in body if r[cust]})
random.seed(8)
chosen = set(random.sample(ids, 40))
days = {r[4][:10] for r in body if r[cust] in chosen}
anonymous = [i for i, r in enumerate(body) if not r[cust] and r[4][:10] in days]
random.seed(9)
keep_anon = set(random.sample(anonymous, 150))
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    for i, r in enumerate(body):
        if r[cust] in chosen or i in keep_anon:
            w.writerow(r)
