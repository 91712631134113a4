"""Runs batches of compiled policies on DuckDB or Spark SQL for the SQL
differential tests (tests/sqlrun/mod.rs), one process for the whole batch:
Spark's JVM starts once.

    python3 sql_run.py duckdb|spark SPEC.json

SPEC: {"jobs": [{"tables": [{"name": "events", "columns": [["Col", "TYPE"], ..],
                             "csv": "path"}],
                 "query": "path.sql", "out": "path.json"}]}

Each job gets fresh tables, loaded from CSV files with a header (an empty cell
is NULL), runs its query, and writes the rows as a JSON array of arrays (values
other than text, booleans and integers as their text, JSON columns as text).
A failing query writes {"error": "..."} instead, and the batch goes on.
"""
import json
import sys


def plain(c):
    if c is None or isinstance(c, (str, bool, int)):
        return c
    return str(c)


def run_duckdb(jobs):
    import duckdb

    for job in jobs:
        con = duckdb.connect()
        try:
            for t in job["tables"]:
                cols = ", ".join(f'"{n}" {ty}' for n, ty in t["columns"])
                con.execute(f'CREATE TABLE "{t["name"]}" ({cols})')
                con.execute(f"COPY \"{t['name']}\" FROM '{t['csv']}' (HEADER, NULLSTR '')")
            rows = con.execute(open(job["query"], encoding="utf-8").read()).fetchall()
            result = [[plain(c) for c in r] for r in rows]
        except Exception as e:  # reported to the test, which shows the query
            result = {"error": str(e)}
        finally:
            con.close()
        with open(job["out"], "w", encoding="utf-8") as f:
            json.dump(result, f)


def run_spark(jobs):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tier-sql-differential")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for job in jobs:
        try:
            for t in job["tables"]:
                schema = ", ".join(f"`{n}` {ty}" for n, ty in t["columns"])
                df = (
                    spark.read.option("header", True)
                    .option("mode", "FAILFAST")
                    .option("timestampFormat", "yyyy-MM-dd HH:mm:ss")
                    .schema(schema)
                    .csv(t["csv"])
                )
                df.createOrReplaceTempView(t["name"])
            rows = spark.sql(open(job["query"], encoding="utf-8").read()).collect()
            result = [[plain(c) for c in r] for r in rows]
        except Exception as e:
            result = {"error": str(e)[:4000]}
        with open(job["out"], "w", encoding="utf-8") as f:
            json.dump(result, f)
    spark.stop()


if __name__ == "__main__":
    engine, spec = sys.argv[1:3]
    jobs = json.load(open(spec, encoding="utf-8"))["jobs"]
    {"duckdb": run_duckdb, "spark": run_spark}[engine](jobs)
