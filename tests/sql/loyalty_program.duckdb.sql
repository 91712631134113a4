-- Loyalty program, version 1: compiled by tier for DuckDB (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    "id" AS "id",
    CASE
      -- SuperVIP (至尊会员)
      WHEN COALESCE("近12月消费额" >= 200000, FALSE) THEN 'SuperVIP'
      -- VIP (贵宾会员)
      WHEN COALESCE("近12月消费额" >= 50000, FALSE) THEN 'VIP'
      -- Important (重要会员)
      WHEN COALESCE("近12月消费额" >= 10000, FALSE) THEN 'Important'
      -- General (普通会员)
      WHEN TRUE THEN 'General'
    END AS "__c0",
    CASE
      WHEN (CASE WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 90, FALSE) THEN 1 ELSE 0 END) + (CASE WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) > 90, FALSE) THEN 1 ELSE 0 END) + (CASE WHEN ("最近购买日期" IS NULL) THEN 1 ELSE 0 END) > 1 THEN NULL
      -- Active (活跃)
      WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 90, FALSE) THEN 'Active'
      -- AtRisk (流失预警)
      WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) > 90, FALSE) THEN 'AtRisk'
      -- Lost (已流失)
      WHEN ("最近购买日期" IS NULL) THEN 'Lost'
    END AS "__c1"
  FROM customers
),
"__moved" AS (
  SELECT "id",
    0 AS "__gone",
    "__c0" AS "__d0",
    "__c0",
    CAST(NULL AS TEXT) AS "__h0_previous",
    'new' AS "__h0_movement",
    DATE '2025-06-30' AS "__h0_entered",
    0 AS "__h0_below",
    "__c1" AS "__d1",
    "__c1",
    CAST(NULL AS TEXT) AS "__h1_previous",
    'new' AS "__h1_movement",
    DATE '2025-06-30' AS "__h1_entered",
    0 AS "__h1_below"
  FROM decided
),
"__budget0" AS (
  SELECT *, (CASE WHEN "__d0" IS NULL THEN 0 ELSE ((CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'SuperVIP' THEN 50000000 WHEN "__d0" = 'VIP' THEN 30000000 WHEN "__d0" = 'Important' THEN 15000000 WHEN "__d0" = 'General' THEN 5000000 ELSE 0 END) // COUNT(*) OVER (PARTITION BY "__gone", "__d0")) + CASE WHEN (ROW_NUMBER() OVER (PARTITION BY "__gone", "__d0" ORDER BY "id") - 1) < ((CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'SuperVIP' THEN 50000000 WHEN "__d0" = 'VIP' THEN 30000000 WHEN "__d0" = 'Important' THEN 15000000 WHEN "__d0" = 'General' THEN 5000000 ELSE 0 END)) % COUNT(*) OVER (PARTITION BY "__gone", "__d0") THEN 1 ELSE 0 END END) * CAST(0.01 AS DECIMAL(38, 10)) AS "__b0"
  FROM "__moved"
),
"__weights1" AS (
  SELECT *, (CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'SuperVIP' THEN 10 WHEN "__d0" = 'VIP' THEN 4 WHEN "__d0" = 'Important' THEN 1 WHEN "__d0" = 'General' THEN 0 ELSE 0 END) AS "__w1", SUM((CASE WHEN "__gone" = 1 THEN 0 WHEN "__d0" = 'SuperVIP' THEN 10 WHEN "__d0" = 'VIP' THEN 4 WHEN "__d0" = 'Important' THEN 1 WHEN "__d0" = 'General' THEN 0 ELSE 0 END)) OVER () AS "__ws1"
  FROM "__budget0"
),
"__floors1" AS (
  SELECT *, CASE WHEN "__ws1" = 0 THEN 0 ELSE (120000 * "__w1" // "__ws1") END AS "__wf1", CASE WHEN "__ws1" = 0 THEN 0 ELSE (120000 * "__w1") % "__ws1" END AS "__wr1"
  FROM "__weights1"
),
"__budget1" AS (
  SELECT *, ("__wf1" + CASE WHEN "__ws1" > 0 AND "__gone" = 0 AND ROW_NUMBER() OVER (PARTITION BY "__gone" ORDER BY "__wr1" DESC, "id") <= 120000 - SUM("__wf1") OVER () THEN 1 ELSE 0 END) * CAST(0.01 AS DECIMAL(38, 10)) AS "__b1"
  FROM "__floors1"
)
SELECT
  "id",
  "__d0" AS "value",
  CASE WHEN "__d0" = 'SuperVIP' THEN '至尊会员' WHEN "__d0" = 'VIP' THEN '贵宾会员' WHEN "__d0" = 'Important' THEN '重要会员' WHEN "__d0" = 'General' THEN '普通会员' END AS "value_label",
  CASE
    WHEN "__d0" = 'SuperVIP' AND "__d1" = 'Active' THEN CAST('{"manager":"dedicated","discount":"15%","gift":"birthday hamper"}' AS JSON)
    WHEN "__d0" = 'SuperVIP' AND "__d1" = 'AtRisk' THEN CAST('{"manager":"dedicated","discount":"15%","gift":"personal visit","win_back_call":true}' AS JSON)
    WHEN "__d0" = 'SuperVIP' AND "__d1" = 'Lost' THEN CAST('{"manager":"dedicated","discount":"15%","gift":"birthday hamper"}' AS JSON)
    WHEN "__d0" = 'SuperVIP' AND "__d1" IS NULL THEN CAST('{"manager":"dedicated","discount":"15%","gift":"birthday hamper"}' AS JSON)
    WHEN "__d0" = 'VIP' AND "__d1" = 'Active' THEN CAST('{"manager":"shared","discount":"10%","gift":"birthday coupon"}' AS JSON)
    WHEN "__d0" = 'VIP' AND "__d1" = 'AtRisk' THEN CAST('{"manager":"shared","discount":"10%","gift":"birthday coupon","win_back_call":true}' AS JSON)
    WHEN "__d0" = 'VIP' AND "__d1" = 'Lost' THEN CAST('{"manager":"shared","discount":"10%","gift":"birthday coupon"}' AS JSON)
    WHEN "__d0" = 'VIP' AND "__d1" IS NULL THEN CAST('{"manager":"shared","discount":"10%","gift":"birthday coupon"}' AS JSON)
    WHEN "__d0" = 'Important' AND "__d1" = 'Active' THEN CAST('{"manager":"none","discount":"5%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'Important' AND "__d1" = 'AtRisk' THEN CAST('{"manager":"none","discount":"5%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'Important' AND "__d1" = 'Lost' THEN CAST('{"manager":"none","discount":"5%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'Important' AND "__d1" IS NULL THEN CAST('{"manager":"none","discount":"5%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'General' AND "__d1" = 'Active' THEN CAST('{"manager":"none","discount":"0%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'General' AND "__d1" = 'AtRisk' THEN CAST('{"manager":"none","discount":"0%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'General' AND "__d1" = 'Lost' THEN CAST('{"manager":"none","discount":"0%","gift":"none"}' AS JSON)
    WHEN "__d0" = 'General' AND "__d1" IS NULL THEN CAST('{"manager":"none","discount":"0%","gift":"none"}' AS JSON)
  END AS "value_strategy",
  "__d1" AS "lifecycle",
  CASE WHEN "__d1" = 'Active' THEN '活跃' WHEN "__d1" = 'AtRisk' THEN '流失预警' WHEN "__d1" = 'Lost' THEN '已流失' END AS "lifecycle_label",
  CASE
    WHEN "__d1" = 'Active' THEN CAST('{"campaign":"cross-sell"}' AS JSON)
    WHEN "__d1" = 'AtRisk' THEN CAST('{"campaign":"win-back offer"}' AS JSON)
    WHEN "__d1" = 'Lost' THEN CAST('{"campaign":"reactivation"}' AS JSON)
  END AS "lifecycle_strategy",
  "__h0_previous" AS "value_previous",
  "__h0_movement" AS "value_movement",
  "__h0_entered" AS "value_entered",
  "__h0_below" AS "value_below",
  "__h1_previous" AS "lifecycle_previous",
  "__h1_movement" AS "lifecycle_movement",
  "__h1_entered" AS "lifecycle_entered",
  "__h1_below" AS "lifecycle_below",
  "__b0" AS "budget.marketing",
  "__b1" AS "budget.service_hours"
FROM "__budget1"
