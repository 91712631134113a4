-- Cosmetics brand membership, version 1: compiled by tier for DuckDB (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    "id" AS "id",
    CASE
      -- SuperVIP (超级VIP会员)
      WHEN (COALESCE("近12月消费额" >= 10000, FALSE) AND COALESCE((CAST(FLOOR(((2025 - EXTRACT(YEAR FROM "入会日期")) * 12 + (6 - EXTRACT(MONTH FROM "入会日期"))) / 12.0) AS INTEGER)) >= 3, FALSE)) THEN 'SuperVIP'
      -- VIP (VIP会员)
      WHEN COALESCE("近12月消费额" >= 5000, FALSE) THEN 'VIP'
      -- Regular (普通会员)
      WHEN TRUE THEN 'Regular'
    END AS "__d0"
  FROM customers
)
SELECT
  "id",
  "__d0" AS "tier",
  CASE WHEN "__d0" = 'SuperVIP' THEN '超级VIP会员' WHEN "__d0" = 'VIP' THEN 'VIP会员' WHEN "__d0" = 'Regular' THEN '普通会员' END AS "tier_label",
  CASE
    WHEN "__d0" = 'SuperVIP' THEN CAST('{"discount":"15%","beauty_advisor":"dedicated","free_samples":6,"perks":{"birthday_gift":"full-size gift set","spa_sessions":"2/year","early_access":true},"events":["launch party","masterclass"]}' AS JSON)
    WHEN "__d0" = 'VIP' THEN CAST('{"discount":"10%","beauty_advisor":"counter team","free_samples":3,"perks":{"birthday_gift":"travel-size set","spa_sessions":"1/year","early_access":true},"events":["masterclass"]}' AS JSON)
    WHEN "__d0" = 'Regular' THEN CAST('{"discount":"0%","beauty_advisor":"counter team","free_samples":1,"perks":{"birthday_gift":"birthday coupon ¥50","spa_sessions":"0/year","early_access":false},"events":[]}' AS JSON)
  END AS "tier_strategy"
FROM decided
