-- Hospital customer grading, version 1: compiled by tier for BigQuery (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    `id` AS `id`,
    CASE
      -- VIP (VIP客户)
      WHEN COALESCE(`年度采购额` > 1000000, FALSE) THEN 'VIP'
      -- Important (重要客户)
      WHEN (COALESCE(300000 <= `年度采购额`, FALSE) AND COALESCE(`年度采购额` <= 1000000, FALSE)) THEN 'Important'
      -- General (一般客户)
      WHEN COALESCE(`年度采购额` BETWEEN 100000 AND 300000, FALSE) THEN 'General'
      -- Small (小客户)
      WHEN TRUE THEN 'Small'
    END AS `__d0`
  FROM customers
)
SELECT
  `id`,
  `__d0` AS `tier`,
  CASE WHEN `__d0` = 'VIP' THEN 'VIP客户' WHEN `__d0` = 'Important' THEN '重要客户' WHEN `__d0` = 'General' THEN '一般客户' WHEN `__d0` = 'Small' THEN '小客户' END AS `tier_label`,
  CASE
    WHEN `__d0` = 'VIP' THEN PARSE_JSON('{"account_manager":"dedicated","visits":"1/month","activities":["product training","academic exchange"]}')
    WHEN `__d0` = 'Important' THEN PARSE_JSON('{"account_manager":"regional","visits":"1/quarter"}')
    WHEN `__d0` = 'General' THEN PARSE_JSON('{"contact":["phone","email"]}')
    WHEN `__d0` = 'Small' THEN PARSE_JSON('{"contact":["phone","email"],"visits":"0/year"}')
  END AS `tier_strategy`
FROM decided
