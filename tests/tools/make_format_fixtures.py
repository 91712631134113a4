#!/usr/bin/env python3
"""Writes the Excel and Parquet fixtures of tests/formats.rs with other tools
(openpyxl, pyarrow), from the CSV examples, so tier's readers are tested on
files it did not write itself.

    pip install openpyxl pyarrow
    python3 tests/tools/make_format_fixtures.py   # from the repository root

Cells are typed the way a person or a data job would store them: whole and
decimal numbers as numbers, ISO dates as dates (Excel serials with a date
format; Parquet date32), date-times as timestamps, the rest as text (e.g.
`3.2亿`, `¥1,200`). In Parquet, numbers with at most two decimals become
decimal128(18, 2), the way money is usually stored. The `_bad` workbook has
one bad cell (C5: text in a money column) and an Excel error cell (#DIV/0!);
the `_bad` Parquet file a bad money text and a repeated key.
"""

import csv
import datetime
import decimal
import pathlib
import re

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "formats"
INPUTS = [
    "cosmetics", "hospitals", "private_banking", "sportswear", "value_lifecycle",
    "loyalty_2025-01", "loyalty_2025-02", "online_retail_sample",
]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
INT = re.compile(r"^-?\d+$")
DEC = re.compile(r"^-?\d+\.\d+$")


def typed(text):
    """The value a typed store would hold for a CSV cell."""
    if text == "":
        return None
    if INT.match(text) and not (len(text) > 1 and text.startswith("0")):
        return int(text)
    if DEC.match(text):
        return decimal.Decimal(text)
    if DATE.match(text):
        return datetime.date.fromisoformat(text)
    if DATETIME.match(text):
        return datetime.datetime.fromisoformat(text)
    return text


def read(name):
    with open(ROOT / "examples" / f"{name}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [[typed(c) for c in r] for r in rows[1:]]


def kind(values):
    """One Arrow type for a column: the values' common kind, else text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {int}:
        return pa.int64()
    if kinds <= {int, decimal.Decimal} and kinds:
        places = max(-v.as_tuple().exponent for v in values if isinstance(v, decimal.Decimal))
        return pa.decimal128(18, 2) if places <= 2 else pa.float64()
    if kinds == {datetime.date}:
        return pa.date32()
    if kinds == {datetime.datetime}:
        return pa.timestamp("s")
    return pa.string()


def column(values, ty):
    if ty == pa.string():
        return [None if v is None else str(v) for v in values]
    if ty == pa.float64():
        return [None if v is None else float(v) for v in values]
    if pa.types.is_decimal(ty):
        return [None if v is None else decimal.Decimal(v).quantize(decimal.Decimal("0.01")) for v in values]
    return values


def write_parquet(name, header, rows):
    arrays, fields = [], []
    for i, h in enumerate(header):
        values = [r[i] if i < len(r) else None for r in rows]
        ty = kind(values)
        arrays.append(pa.array(column(values, ty), type=ty))
        fields.append(pa.field(h, ty))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), OUT / f"{name}.parquet")


def write_xlsx(name, header, rows, sheet="Sheet1"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append([float(v) if isinstance(v, decimal.Decimal) else v for v in r])
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, datetime.datetime):
                c.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(c.value, datetime.date):
                c.number_format = "yyyy-mm-dd"
    book.save(OUT / f"{name}.xlsx")
    return book


def main():
    OUT.mkdir(exist_ok=True)
    for name in INPUTS:
        header, rows = read(name)
        write_parquet(name, header, rows)
        write_xlsx(name, header, rows)
    # A workbook whose data is on a second sheet, below a title row, with a
    # bad money cell (C5) and an error cell (#DIV/0!, in C7).
    header, rows = read("cosmetics")
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["customers of 2025; the data is on the next sheet"])
    ws = book.create_sheet("客户")
    ws.append(header)
    for r in rows:
        ws.append(r)
    ws["C5"] = "一万二"
    ws["C7"] = "#DIV/0!"  # openpyxl stores an error code as an error cell
    book.save(OUT / "cosmetics_bad.xlsx")
    # Parquet with the money as text, one value bad (row 4), and a repeated key (row 6).
    rows = [list(r) for r in rows]
    rows[3][2] = "一万二"
    rows[5][0] = rows[0][0]
    strings = [[None if v is None else str(v) for v in r] for r in rows]
    arrays = [pa.array([r[i] for r in strings], type=pa.string()) for i in range(len(header))]
    pq.write_table(pa.Table.from_arrays(arrays, names=header), OUT / "cosmetics_bad.parquet")


if __name__ == "__main__":
    main()
