"""Runs batches of compiled policies on DuckDB or Spark SQL for the SQL
differential tests (tests/sqlrun/mod.rs), one process for the whole batch:
Spark's JVM starts once.

    python3 sql_run.py duckdb|spark SPEC.json
    python3 sql_run.py spark-serve      (SPEC paths on stdin, one a line; "done" after each)

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


def start_spark():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tier-sql-differential")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Many small queries: adaptive planning and the JIT's second tier cost
        # more than they save (about a second a query less without them).
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_spark(jobs, spark):
    for job in jobs:
        try:
            for t in job["tables"]:
                schema = ", ".join(f"`{n}` {ty}" for n, ty in t["columns"])
                df = (
                    spark.read.option("header", True)
                    .option("mode", "FAILFAST")
                    .option("escape", "\"")
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


def jobs_of(spec):
    return json.load(open(spec, encoding="utf-8"))["jobs"]


if __name__ == "__main__":
    engine = sys.argv[1]
    if engine == "duckdb":
        run_duckdb(jobs_of(sys.argv[2]))
    elif engine == "spark":
        spark = start_spark()
        run_spark(jobs_of(sys.argv[2]), spark)
        spark.stop()
    else:
        # One JVM for every batch of a test process; it ends with stdin.
        spark = start_spark()
        for line in sys.stdin:
            run_spark(jobs_of(line.strip()), spark)
            print("done", flush=True)
        spark.stop()
