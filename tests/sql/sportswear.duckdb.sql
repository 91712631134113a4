-- Sportswear membership tiers, version 1: compiled by tier for DuckDB (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    "id" AS "id",
    CASE
      -- Platinum (铂金会员)
      WHEN (COALESCE("年消费额" >= 5000, FALSE) AND COALESCE(("半年购买次数" * 2) >= 12, FALSE)) THEN 'Platinum'
      -- Gold (金卡会员)
      WHEN (COALESCE("年消费额" >= 3000, FALSE) AND COALESCE(("半年购买次数" * 2) >= 6, FALSE)) THEN 'Gold'
      -- Regular (普通会员)
      WHEN TRUE THEN 'Regular'
    END AS "__d0"
  FROM customers
)
SELECT
  "id",
  "__d0" AS "tier",
  CASE WHEN "__d0" = 'Platinum' THEN '铂金会员' WHEN "__d0" = 'Gold' THEN '金卡会员' WHEN "__d0" = 'Regular' THEN '普通会员' END AS "tier_label",
  CASE
    WHEN "__d0" = 'Platinum' THEN CAST('{"discount":"15%","free_shipping":true,"free_returns":true,"birthday_gift":300,"perks":["new-collection preview","running club pacer team","free shoe fitting"]}' AS JSON)
    WHEN "__d0" = 'Gold' THEN CAST('{"discount":"10%","free_shipping":true,"free_returns":false,"birthday_gift":100,"perks":["new-collection preview"]}' AS JSON)
    WHEN "__d0" = 'Regular' THEN CAST('{"discount":"0%","free_shipping":false,"free_returns":false,"birthday_gift":0,"perks":["member newsletter","seasonal coupon"]}' AS JSON)
  END AS "tier_strategy"
FROM decided
