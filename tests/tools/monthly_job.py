#!/usr/bin/env python3
"""An independent computation of policies/retail_monthly.tier over 2011.

    python3 monthly_job.py EVENTS.csv OUT_DIR

OUT_DIR holds tier's outputs 2011-01.csv .. 2011-12.csv (as_of the first of the
next month, each run reading the previous output). This script reads the invoice
lines itself (csv and Decimal only: no tier code, no pandas), computes each
month's 12-month spend and orders, the criteria's tier, the retention rules
(demote after 2 evaluations below, at most one tier per evaluation; promote at
once) and the loyalty budget split to the cent, and compares every customer of
every month with tier's output. It prints the movement counts per month and
exits 1 on the first difference.
"""
import csv
import sys
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

TIERS = ["Gold", "Silver", "Bronze"]
BUDGET = Decimal("5000")
SHARES = {"Gold": Decimal("0.6"), "Silver": Decimal("0.3"), "Bronze": Decimal("0.1")}


def month_starts():
    """(label, as_of) for the twelve month ends of 2011."""
    for m in range(1, 13):
        yield f"2011-{m:02d}", date(2012, 1, 1) if m == 12 else date(2011, m + 1, 1)


def read_events(path):
    events = []  # (customer, invoice, time, amount)
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            customer = row["CustomerID"].strip()
            invoice = row["InvoiceNo"].strip()
            if "C" in invoice or not customer:
                continue
            when = datetime.strptime(row["InvoiceDate"].strip(), "%Y-%m-%d %H:%M:%S")
            amount = Decimal(row["Quantity"]) * Decimal(row["UnitPrice"])
            events.append((customer, invoice, when, amount))
    return events


def criteria(spend, orders):
    if spend >= 5000 and orders >= 12:
        return "Gold"
    if spend >= 1000 and orders >= 4:
        return "Silver"
    return "Bronze"


def step(previous, computed, as_of):
    """(tier, movement, entered, below) under the retention rules."""
    if previous is None:
        return computed, "new", as_of, 0
    tier, entered, below = previous
    if computed == tier:
        return tier, "retained", entered, 0
    if TIERS.index(computed) < TIERS.index(tier):
        return computed, "promoted", as_of, 0
    below += 1
    if below < 2:
        return tier, "held", entered, below
    one_down = TIERS[min(TIERS.index(tier) + 1, TIERS.index(computed))]
    return one_down, "demoted", as_of, 0


def fail(message):
    print(message)
    sys.exit(1)


def main():
    events_path, out_dir = sys.argv[1], sys.argv[2]
    events = read_events(events_path)
    state = {}  # customer -> (tier, entered, below)
    print("month,customers,new,promoted,demoted,retained,held,Gold,Silver,Bronze")
    for label, as_of in month_starts():
        start = as_of.replace(year=as_of.year - 1)
        end_t = datetime(as_of.year, as_of.month, as_of.day)
        start_t = datetime(start.year, start.month, start.day)
        customers = set()
        spend = defaultdict(Decimal)
        invoices = defaultdict(set)
        for customer, invoice, when, amount in events:
            if when >= end_t:
                continue
            customers.add(customer)
            if when >= start_t:
                spend[customer] += amount
                invoices[customer].add(invoice)
        with open(f"{out_dir}/{label}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        seen = [r["customer"] for r in rows]
        if sorted(seen) != sorted(customers) or len(seen) != len(set(seen)):
            fail(f"{label}: customers differ: {len(seen)} in tier's output, {len(customers)} here")
        counts = defaultdict(int)
        new_state = {}
        for r in rows:
            c = r["customer"]
            s, o = spend[c], len(invoices[c])
            if Decimal(r["spend"] or "0") != s or int(Decimal(r["orders"] or "0")) != o:
                fail(f"{label} {c}: spend/orders {r['spend']}/{r['orders']}, expected {s}/{o}")
            tier, movement, entered, below = step(state.get(c), criteria(s, o), as_of)
            want = {
                "value": tier,
                "value_movement": movement,
                "value_previous": state[c][0] if c in state else "",
                "value_entered": entered.isoformat(),
                "value_below": str(below),
            }
            got = {k: r[k] for k in want}
            if got != want:
                fail(f"{label} {c}: tier says {got}, expected {want}")
            new_state[c] = (tier, entered, below)
            counts[movement] += 1
            counts[tier] += 1
        # The budget: each tier's share in cents, split evenly over its
        # customers in output order, the first ones taking the odd cents.
        for t in TIERS:
            members = [r for r in rows if r["value"] == t]
            cents = int(BUDGET * SHARES[t] * 100)
            if not members:
                continue
            each, odd = divmod(cents, len(members))
            for i, r in enumerate(members):
                want = Decimal(each + (1 if i < odd else 0)) / 100
                if Decimal(r["budget.loyalty"]) != want:
                    fail(f"{label} {r['customer']}: budget {r['budget.loyalty']}, expected {want}")
        state = new_state
        moves = [counts[m] for m in ["new", "promoted", "demoted", "retained", "held"]]
        tiers = [counts[t] for t in TIERS]
        print(",".join(str(x) for x in [label, len(rows), *moves, *tiers]))


if __name__ == "__main__":
    main()
