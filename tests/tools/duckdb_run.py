"""Runs a compiled policy on DuckDB for tests/sql_differential.rs.

    python3 duckdb_run.py TABLE_DDL DATA.csv QUERY.sql OUT.json

Creates table t with the given column list, loads the CSV (empty cell = NULL),
runs the query, and writes its rows as a JSON array of arrays (JSON columns as
text).
"""
import json
import sys

import duckdb

ddl, data, query, out = sys.argv[1:5]
con = duckdb.connect()
con.execute(f"CREATE TABLE t ({ddl})")
con.execute(f"COPY t FROM '{data}' (HEADER, NULLSTR '')")
rows = con.execute(open(query, encoding="utf-8").read()).fetchall()
with open(out, "w", encoding="utf-8") as f:
    json.dump([[c if c is None or isinstance(c, (str, bool, int)) else str(c) for c in r] for r in rows], f)
