-- Retail value tiers, version 1: compiled by tier for DuckDB (as of 2011-12-11).
-- One row per customer of invoice_lines: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH "__agg" AS MATERIALIZED (
  SELECT
    "CustomerID" AS "__k",
    COALESCE(SUM(CASE WHEN "InvoiceDate" >= DATE '2010-12-11' THEN (("Quantity" * "UnitPrice")) END), 0) AS "__a0",
    (COUNT(DISTINCT CASE WHEN "InvoiceDate" >= DATE '2011-09-11' THEN "InvoiceNo" END) * 4) AS "__a1"
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
      -- VIP (Key account)
      WHEN (COALESCE(("__a0") >= 5000, FALSE) AND COALESCE(("__a1") >= 12, FALSE)) THEN 'VIP'
      -- Important (Regular wholesaler)
      WHEN (COALESCE(("__a0") >= 1000, FALSE) AND COALESCE(("__a1") >= 4, FALSE)) THEN 'Important'
      -- General (Occasional buyer)
      WHEN COALESCE(("__a0") >= 200, FALSE) THEN 'General'
      -- Small (Small buyer)
      WHEN TRUE THEN 'Small'
    END AS "__d0",
    "__a0" AS "__m0",
    "__a1" AS "__m1"
  FROM "__base"
)
SELECT
  "customer",
  "__d0" AS "value",
  CASE WHEN "__d0" = 'VIP' THEN 'Key account' WHEN "__d0" = 'Important' THEN 'Regular wholesaler' WHEN "__d0" = 'General' THEN 'Occasional buyer' WHEN "__d0" = 'Small' THEN 'Small buyer' END AS "value_label",
  CASE
    WHEN "__d0" = 'VIP' THEN CAST('{"account_manager":"dedicated","discount":"10%"}' AS JSON)
    WHEN "__d0" = 'Important' THEN CAST('{"account_manager":"shared","discount":"5%"}' AS JSON)
    WHEN "__d0" = 'General' THEN CAST('{"account_manager":"none","discount":"2%"}' AS JSON)
    WHEN "__d0" = 'Small' THEN CAST('{"account_manager":"none","discount":"0%"}' AS JSON)
  END AS "value_strategy",
  "__m0" AS "spend",
  (CAST("__m1" AS DECIMAL(38, 10)) / NULLIF(4, 0)) AS "orders"
FROM decided
