-- Customer value and lifecycle, version 1: compiled by tier for DuckDB (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    "id" AS "id",
    CASE
      -- VIP (高价值客户)
      WHEN COALESCE("近12月消费额" >= 50000, FALSE) THEN 'VIP'
      -- Important (重要价值客户)
      WHEN COALESCE("近12月消费额" >= 10000, FALSE) THEN 'Important'
      -- General (一般价值客户)
      WHEN COALESCE("近12月消费额" >= 1000, FALSE) THEN 'General'
      -- Small (低价值客户)
      WHEN TRUE THEN 'Small'
    END AS "__d0",
    CASE
      WHEN (CASE WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 90, FALSE) THEN 1 ELSE 0 END) + (CASE WHEN (COALESCE(90 < ((DATE '2025-06-30' - "最近购买日期")), FALSE) AND COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 365, FALSE)) THEN 1 ELSE 0 END) + (CASE WHEN (COALESCE(((DATE '2025-06-30' - "最近购买日期")) > 365, FALSE) OR ("最近购买日期" IS NULL)) THEN 1 ELSE 0 END) > 1 THEN NULL
      -- Active (活跃客户)
      WHEN COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 90, FALSE) THEN 'Active'
      -- AtRisk (流失预警客户)
      WHEN (COALESCE(90 < ((DATE '2025-06-30' - "最近购买日期")), FALSE) AND COALESCE(((DATE '2025-06-30' - "最近购买日期")) <= 365, FALSE)) THEN 'AtRisk'
      -- Lost (已流失客户)
      WHEN (COALESCE(((DATE '2025-06-30' - "最近购买日期")) > 365, FALSE) OR ("最近购买日期" IS NULL)) THEN 'Lost'
    END AS "__d1"
  FROM customers
)
SELECT
  "id",
  "__d0" AS "value",
  CASE WHEN "__d0" = 'VIP' THEN '高价值客户' WHEN "__d0" = 'Important' THEN '重要价值客户' WHEN "__d0" = 'General' THEN '一般价值客户' WHEN "__d0" = 'Small' THEN '低价值客户' END AS "value_label",
  CASE
    WHEN "__d0" = 'VIP' THEN CAST('{"account_manager":"dedicated","discount":"12%","gifts":["birthday hamper","annual thank-you gift"]}' AS JSON)
    WHEN "__d0" = 'Important' THEN CAST('{"account_manager":"shared","discount":"8%","gifts":["birthday coupon"]}' AS JSON)
    WHEN "__d0" = 'General' THEN CAST('{"account_manager":"none","discount":"3%","gifts":[]}' AS JSON)
    WHEN "__d0" = 'Small' THEN CAST('{"account_manager":"none","discount":"0%","gifts":[]}' AS JSON)
  END AS "value_strategy",
  "__d1" AS "lifecycle",
  CASE WHEN "__d1" = 'Active' THEN '活跃客户' WHEN "__d1" = 'AtRisk' THEN '流失预警客户' WHEN "__d1" = 'Lost' THEN '已流失客户' END AS "lifecycle_label",
  CASE
    WHEN "__d1" = 'Active' THEN CAST('{"campaign":"cross-sell","contact":{"sms":false,"email":true,"phone":false},"touches":"2/month"}' AS JSON)
    WHEN "__d1" = 'AtRisk' THEN CAST('{"campaign":"win-back offer","contact":{"sms":true,"email":true,"phone":true},"touches":"1/month"}' AS JSON)
    WHEN "__d1" = 'Lost' THEN CAST('{"campaign":"reactivation","contact":{"sms":true,"email":false,"phone":false},"touches":"1/quarter"}' AS JSON)
  END AS "lifecycle_strategy"
FROM decided
