-- RFM segments, version 1: compiled by tier for DuckDB (as of 2011-12-11).
-- One row per customer of invoice_lines: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH "__agg" AS MATERIALIZED (
  SELECT
    "CustomerID" AS "__k",
    MAX("InvoiceDate") AS "__a0",
    COUNT(DISTINCT "InvoiceNo") AS "__a1",
    COALESCE(SUM((("Quantity" * "UnitPrice"))), 0) AS "__a2"
  FROM invoice_lines
  WHERE "CustomerID" IS NOT NULL
    AND ("InvoiceDate" IS NULL OR "InvoiceDate" < DATE '2011-12-11')
    AND (NOT COALESCE(contains("InvoiceNo", 'C') = TRUE, FALSE))
  GROUP BY "CustomerID"
),
"__base" AS (
  SELECT "__k" AS "CustomerID", "__a0", "__a1", "__a2" FROM "__agg"
),
"__kept" AS (
  SELECT * FROM "__base"
  WHERE COALESCE(("__a2") > 0, FALSE)
    AND (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) IS NOT NULL
    AND ("__a1") IS NOT NULL
),
"__sorted0" AS (
  SELECT (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) AS "__v", ROW_NUMBER() OVER (ORDER BY (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT))) - 1 AS "__pos", COUNT(*) OVER () - 1 AS "__m"
  FROM "__kept"
  WHERE (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) IS NOT NULL
),
"__edges0" AS (
  SELECT CASE WHEN "__rem1" = 0 THEN "__lo1" ELSE "__lo1" + (CAST(("__hi1" - "__lo1") * "__rem1" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e0_1",
    CASE WHEN "__rem2" = 0 THEN "__lo2" ELSE "__lo2" + (CAST(("__hi2" - "__lo2") * "__rem2" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e0_2",
    CASE WHEN "__rem3" = 0 THEN "__lo3" ELSE "__lo3" + (CAST(("__hi3" - "__lo3") * "__rem3" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e0_3",
    CASE WHEN "__rem4" = 0 THEN "__lo4" ELSE "__lo4" + (CAST(("__hi4" - "__lo4") * "__rem4" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e0_4"
  FROM (SELECT MAX(CASE WHEN "__pos" * 5 = (1 * "__m" - (1 * "__m") % 5) THEN "__v" END) AS "__lo1",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (1 * "__m" - (1 * "__m") % 5) THEN "__v" END) AS "__hi1",
      MAX((1 * "__m") % 5) AS "__rem1",
      MAX(CASE WHEN "__pos" * 5 = (2 * "__m" - (2 * "__m") % 5) THEN "__v" END) AS "__lo2",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (2 * "__m" - (2 * "__m") % 5) THEN "__v" END) AS "__hi2",
      MAX((2 * "__m") % 5) AS "__rem2",
      MAX(CASE WHEN "__pos" * 5 = (3 * "__m" - (3 * "__m") % 5) THEN "__v" END) AS "__lo3",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (3 * "__m" - (3 * "__m") % 5) THEN "__v" END) AS "__hi3",
      MAX((3 * "__m") % 5) AS "__rem3",
      MAX(CASE WHEN "__pos" * 5 = (4 * "__m" - (4 * "__m") % 5) THEN "__v" END) AS "__lo4",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (4 * "__m" - (4 * "__m") % 5) THEN "__v" END) AS "__hi4",
      MAX((4 * "__m") % 5) AS "__rem4"
    FROM "__sorted0") "__picked"
),
"__pop0" AS (
  SELECT "__kept".*, CASE WHEN (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) IS NULL THEN NULL ELSE CASE WHEN (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) <= "__e0_1" THEN 5 WHEN (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) <= "__e0_2" THEN 4 WHEN (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) <= "__e0_3" THEN 3 WHEN (CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT)) <= "__e0_4" THEN 2 ELSE 1 END END AS "__p0"
  FROM "__kept" CROSS JOIN "__edges0"
),
"__pop1" AS (
  SELECT *, CASE WHEN ("__a1") IS NULL THEN NULL ELSE ROW_NUMBER() OVER (PARTITION BY CASE WHEN ("__a1") IS NULL THEN 1 ELSE 0 END ORDER BY ("__a1"), "CustomerID") END AS "__p1"
  FROM "__pop0"
),
"__sorted2" AS (
  SELECT "__p1" AS "__v", ROW_NUMBER() OVER (ORDER BY "__p1") - 1 AS "__pos", COUNT(*) OVER () - 1 AS "__m"
  FROM "__pop1"
  WHERE "__p1" IS NOT NULL
),
"__edges2" AS (
  SELECT CASE WHEN "__rem1" = 0 THEN "__lo1" ELSE "__lo1" + (CAST(("__hi1" - "__lo1") * "__rem1" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e2_1",
    CASE WHEN "__rem2" = 0 THEN "__lo2" ELSE "__lo2" + (CAST(("__hi2" - "__lo2") * "__rem2" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e2_2",
    CASE WHEN "__rem3" = 0 THEN "__lo3" ELSE "__lo3" + (CAST(("__hi3" - "__lo3") * "__rem3" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e2_3",
    CASE WHEN "__rem4" = 0 THEN "__lo4" ELSE "__lo4" + (CAST(("__hi4" - "__lo4") * "__rem4" AS DECIMAL(38, 10)) / NULLIF(5, 0)) END AS "__e2_4"
  FROM (SELECT MAX(CASE WHEN "__pos" * 5 = (1 * "__m" - (1 * "__m") % 5) THEN "__v" END) AS "__lo1",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (1 * "__m" - (1 * "__m") % 5) THEN "__v" END) AS "__hi1",
      MAX((1 * "__m") % 5) AS "__rem1",
      MAX(CASE WHEN "__pos" * 5 = (2 * "__m" - (2 * "__m") % 5) THEN "__v" END) AS "__lo2",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (2 * "__m" - (2 * "__m") % 5) THEN "__v" END) AS "__hi2",
      MAX((2 * "__m") % 5) AS "__rem2",
      MAX(CASE WHEN "__pos" * 5 = (3 * "__m" - (3 * "__m") % 5) THEN "__v" END) AS "__lo3",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (3 * "__m" - (3 * "__m") % 5) THEN "__v" END) AS "__hi3",
      MAX((3 * "__m") % 5) AS "__rem3",
      MAX(CASE WHEN "__pos" * 5 = (4 * "__m" - (4 * "__m") % 5) THEN "__v" END) AS "__lo4",
      MAX(CASE WHEN ("__pos" - 1) * 5 = (4 * "__m" - (4 * "__m") % 5) THEN "__v" END) AS "__hi4",
      MAX((4 * "__m") % 5) AS "__rem4"
    FROM "__sorted2") "__picked"
),
"__pop2" AS (
  SELECT "__pop1".*, CASE WHEN "__p1" IS NULL THEN NULL ELSE CASE WHEN "__p1" <= "__e2_1" THEN 1 WHEN "__p1" <= "__e2_2" THEN 2 WHEN "__p1" <= "__e2_3" THEN 3 WHEN "__p1" <= "__e2_4" THEN 4 ELSE 5 END END AS "__p2"
  FROM "__pop1" CROSS JOIN "__edges2"
),
decided AS (
  SELECT
    "CustomerID" AS "customer",
    CASE
      -- champions
      WHEN (COALESCE(("__p0") = 5, FALSE) AND COALESCE(("__p2") >= 4, FALSE)) THEN 'champions'
      -- loyal_customers
      WHEN (COALESCE(("__p0") IN (3, 4), FALSE) AND COALESCE(("__p2") >= 4, FALSE)) THEN 'loyal_customers'
      -- cant_loose
      WHEN (COALESCE(("__p0") <= 2, FALSE) AND COALESCE(("__p2") = 5, FALSE)) THEN 'cant_loose'
      -- at_Risk
      WHEN (COALESCE(("__p0") <= 2, FALSE) AND COALESCE(("__p2") IN (3, 4), FALSE)) THEN 'at_Risk'
      -- hibernating
      WHEN (COALESCE(("__p0") <= 2, FALSE) AND COALESCE(("__p2") <= 2, FALSE)) THEN 'hibernating'
      -- need_attention
      WHEN (COALESCE(("__p0") = 3, FALSE) AND COALESCE(("__p2") = 3, FALSE)) THEN 'need_attention'
      -- about_to_sleep
      WHEN (COALESCE(("__p0") = 3, FALSE) AND COALESCE(("__p2") <= 2, FALSE)) THEN 'about_to_sleep'
      -- potential_loyalists
      WHEN (COALESCE(("__p0") IN (4, 5), FALSE) AND COALESCE(("__p2") IN (2, 3), FALSE)) THEN 'potential_loyalists'
      -- promising
      WHEN (COALESCE(("__p0") = 4, FALSE) AND COALESCE(("__p2") = 1, FALSE)) THEN 'promising'
      -- new_customers
      WHEN (COALESCE(("__p0") = 5, FALSE) AND COALESCE(("__p2") = 1, FALSE)) THEN 'new_customers'
    END AS "__d0",
    CAST(FLOOR((epoch(TIMESTAMP '2011-12-11 00:00:00') - epoch("__a0")) / 86400) AS BIGINT) AS "__m0",
    "__a1" AS "__m1",
    "__a2" AS "__m2",
    "__p0" AS "__m3",
    "__p2" AS "__m4"
  FROM "__pop2"
)
SELECT
  "customer",
  "__d0" AS "segment",
  CASE WHEN "__d0" = 'champions' THEN NULL WHEN "__d0" = 'loyal_customers' THEN NULL WHEN "__d0" = 'cant_loose' THEN NULL WHEN "__d0" = 'at_Risk' THEN NULL WHEN "__d0" = 'hibernating' THEN NULL WHEN "__d0" = 'need_attention' THEN NULL WHEN "__d0" = 'about_to_sleep' THEN NULL WHEN "__d0" = 'potential_loyalists' THEN NULL WHEN "__d0" = 'promising' THEN NULL WHEN "__d0" = 'new_customers' THEN NULL END AS "segment_label",
  CASE
    WHEN "__d0" = 'champions' THEN CAST('{"action":"reward: early access, loyalty perks"}' AS JSON)
    WHEN "__d0" = 'loyal_customers' THEN CAST('{"action":"upsell higher-value products"}' AS JSON)
    WHEN "__d0" = 'cant_loose' THEN CAST('{"action":"win back with a personal offer"}' AS JSON)
    WHEN "__d0" = 'at_Risk' THEN CAST('{"action":"reactivation campaign"}' AS JSON)
    WHEN "__d0" = 'hibernating' THEN CAST('{"action":"low-cost reminder"}' AS JSON)
    WHEN "__d0" = 'need_attention' THEN CAST('{"action":"limited-time offer"}' AS JSON)
    WHEN "__d0" = 'about_to_sleep' THEN CAST('{"action":"share popular products"}' AS JSON)
    WHEN "__d0" = 'potential_loyalists' THEN CAST('{"action":"membership offer"}' AS JSON)
    WHEN "__d0" = 'promising' THEN CAST('{"action":"brand awareness"}' AS JSON)
    WHEN "__d0" = 'new_customers' THEN CAST('{"action":"onboarding"}' AS JSON)
  END AS "segment_strategy",
  "__m0" AS "recency",
  "__m1" AS "frequency",
  "__m2" AS "monetary",
  "__m3" AS "R",
  "__m4" AS "F"
FROM decided
