#!/usr/bin/env python3
"""Reads an Excel or Parquet file tier wrote, with other tools (openpyxl,
pyarrow), and prints it as JSON: {"columns": [...], "rows": [[...]], ...}
with every cell as the text tier's CSV output would hold. Parquet's JSON
`strategy` column is flattened into `strategy.KEY` columns as CSV has them.
For Excel it adds the sheets, the frozen cell and the autofilter range, and
the summary sheet's rows; for Parquet the column types.

    python3 tests/tools/read_table.py out.xlsx|out.parquet
"""

import datetime
import decimal
import json
import sys


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, decimal.Decimal):
        s = format(v.normalize(), "f")
        return s
    if isinstance(v, datetime.datetime):
        if (v.hour, v.minute, v.second) == (0, 0, 0):
            return v.date().isoformat()
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def flatten(prefix, obj, out):
    for k, v in obj.items():
        if isinstance(v, dict):
            flatten(f"{prefix}{k}.", v, out)
        elif isinstance(v, list):
            out[f"{prefix}{k}"] = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        else:
            out[f"{prefix}{k}"] = text(v) if not isinstance(v, str) else v


def read_parquet(path):
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    names = table.column_names
    rows = table.to_pylist()
    out_rows, extra_cols = [], []
    for r in rows:
        flat = {}
        if "strategy" in r and r["strategy"] is not None:
            flatten("strategy.", json.loads(r["strategy"]), flat)
        for k in flat:
            if k not in extra_cols:
                extra_cols.append(k)
        out_rows.append((r, flat))
    columns = [n for n in names if n != "strategy"] + extra_cols
    cells = [[text(r[c]) if c in r else flat.get(c, "") for c in columns] for r, flat in out_rows]
    types = {f.name: str(f.type) for f in table.schema}
    return {"columns": columns, "rows": cells, "types": types}


def read_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheets = {}
    for ws in book.worksheets:
        values = list(ws.iter_rows(values_only=True))
        sheets[ws.title] = {
            "columns": [text(c) for c in values[0]] if values else [],
            "rows": [[text(c) for c in r] for r in values[1:]],
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
            "formats": sorted({c.number_format for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}),
        }
    first = book.worksheets[0].title
    doc = dict(sheets[first])
    doc["sheets"] = sheets
    doc["sheet_names"] = book.sheetnames
    return doc


def main():
    path = sys.argv[1]
    doc = read_parquet(path) if path.endswith(".parquet") else read_xlsx(path)
    json.dump(doc, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
