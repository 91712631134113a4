-- Retail monthly tiering, version 1: compiled by tier for DuckDB (as of 2011-12-11).
-- One row per customer of invoice_lines: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH "__agg" AS MATERIALIZED (
  SELECT
    "CustomerID" AS "__k",
    COALESCE(SUM(CASE WHEN "InvoiceDate" >= DATE '2010-12-11' THEN (("Quantity" * "UnitPrice")) END), 0) AS "__a0",
    COUNT(DISTINCT CASE WHEN "InvoiceDate" >= DATE '2010-12-11' THEN "InvoiceNo" END) AS "__a1"
  FROM invoice_lines
  WHERE "CustomerID" IS NOT NULL
    AND ("InvoiceDate" IS NULL OR "InvoiceDate" < DATE '2011-12-11')
    AND (NOT COALESCE(contains("InvoiceNo", 'C') = TRUE, FALSE))
  GROUP BY "CustomerID"
),
"__base" AS (
  SELECT "__k" AS "CustomerID", "__a0", "__a1" FROM "__agg"
),
decided AS (
  SELECT
    "CustomerID" AS "customer",
    CASE
      -- Gold (Gold)
      WHEN (COALESCE(("__a0") >= 5000, FALSE) AND COALESCE(("__a1") >= 12, FALSE)) THEN 'Gold'
      -- Silver (Silver)
      WHEN (COALESCE(("__a0") >= 1000, FALSE) AND COALESCE(("__a1") >= 4, FALSE)) THEN 'Silver'
      -- Bronze (Bronze)
      WHEN TRUE THEN 'Bronze'
    END AS "__c0",
    "__a0" AS "__m0",
    "__a1" AS "__m1"
  FROM "__base"
),
"__prev" AS (
  SELECT "customer" AS "__pk", "value" AS "__pt0", "value_entered" AS "__pe0", "value_below" AS "__pb0"
  FROM tiers_last_month
  WHERE COALESCE("value_movement", '') <> 'gone'
),
"__moves" AS (
  SELECT decided.*, "__prev".*,
    CASE WHEN decided."customer" IS NULL THEN 1 ELSE 0 END AS "__gone",
    CASE
      WHEN decided."customer" IS NULL THEN 'gone'
      WHEN "__pk" IS NULL OR NOT ("__pt0" IS NULL OR "__pt0" IN ('Gold', 'Silver', 'Bronze')) THEN 'new'
      WHEN "__pt0" = "__c0" OR ("__pt0" IS NULL AND "__c0" IS NULL) THEN 'retained'
      WHEN (CASE "__c0" WHEN 'Gold' THEN 0 WHEN 'Silver' THEN 1 WHEN 'Bronze' THEN 2 ELSE 3 END) < (CASE "__pt0" WHEN 'Gold' THEN 0 WHEN 'Silver' THEN 1 WHEN 'Bronze' THEN 2 ELSE 3 END) THEN 'promoted'
      WHEN COALESCE("__pb0", 0) + 1 < 2 THEN 'held'
      ELSE 'demoted'
    END AS "__mv0"
  FROM decided FULL OUTER JOIN "__prev" ON "__prev"."__pk" = decided."customer"
),
"__moved" AS (
  SELECT COALESCE("customer", "__pk") AS "customer",
    "__gone",
    "__m0",
    "__m1",
    CASE "__mv0" WHEN 'held' THEN "__pt0" WHEN 'demoted' THEN CASE WHEN (CASE "__c0" WHEN 'Gold' THEN 0 WHEN 'Silver' THEN 1 WHEN 'Bronze' THEN 2 ELSE 3 END) <= (CASE "__pt0" WHEN 'Gold' THEN 0 WHEN 'Silver' THEN 1 WHEN 'Bronze' THEN 2 ELSE 3 END) + 1 THEN "__c0" ELSE (CASE (CASE "__pt0" WHEN 'Gold' THEN 0 WHEN 'Silver' THEN 1 WHEN 'Bronze' THEN 2 ELSE 3 END) + 1 WHEN 0 THEN 'Gold' WHEN 1 THEN 'Silver' WHEN 2 THEN 'Bronze' END) END WHEN 'gone' THEN NULL ELSE "__c0" END AS "__d0",
    "__c0",
    "__pt0" AS "__h0_previous",
    "__mv0" AS "__h0_movement",
    CASE "__mv0" WHEN 'retained' THEN COALESCE("__pe0", DATE '2011-12-11') WHEN 'held' THEN "__pe0" WHEN 'gone' THEN NULL ELSE DATE '2011-12-11' END AS "__h0_entered",
    CASE "__mv0" WHEN 'held' THEN COALESCE("__pb0", 0) + 1 ELSE 0 END AS "__h0_below"
  FROM "__moves"
),
"__budget0" AS (
  SELECT *, (CASE WHEN "__d0" IS NULL THEN 0 ELSE ((CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'Gold' THEN 300000 WHEN "__d0" = 'Silver' THEN 150000 WHEN "__d0" = 'Bronze' THEN 50000 ELSE 0 END) // COUNT(*) OVER (PARTITION BY "__gone", "__d0")) + CASE WHEN (ROW_NUMBER() OVER (PARTITION BY "__gone", "__d0" ORDER BY "customer") - 1) < ((CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'Gold' THEN 300000 WHEN "__d0" = 'Silver' THEN 150000 WHEN "__d0" = 'Bronze' THEN 50000 ELSE 0 END)) % COUNT(*) OVER (PARTITION BY "__gone", "__d0") THEN 1 ELSE 0 END END) * CAST(0.01 AS DECIMAL(38, 10)) AS "__b0"
  FROM "__moved"
)
SELECT
  "customer",
  "__d0" AS "value",
  CASE WHEN "__d0" = 'Gold' THEN 'Gold' WHEN "__d0" = 'Silver' THEN 'Silver' WHEN "__d0" = 'Bronze' THEN 'Bronze' END AS "value_label",
  CASE
    WHEN "__d0" = 'Gold' THEN CAST('{"account_manager":"dedicated","discount":"10%"}' AS JSON)
    WHEN "__d0" = 'Silver' THEN CAST('{"account_manager":"shared","discount":"5%"}' AS JSON)
    WHEN "__d0" = 'Bronze' THEN CAST('{"account_manager":"none","discount":"0%"}' AS JSON)
  END AS "value_strategy",
  "__m0" AS "spend",
  "__m1" AS "orders",
  "__h0_previous" AS "value_previous",
  "__h0_movement" AS "value_movement",
  "__h0_entered" AS "value_entered",
  "__h0_below" AS "value_below",
  "__b0" AS "budget.loyalty"
FROM "__budget0"
