-- Private banking client segments, version 1: compiled by tier for DuckDB (as of 2025-06-30).
-- One row per row of customers: the key, and per dimension the tier, its label and
-- its strategy as JSON. A comparison on a missing value is false.
WITH decided AS (
  SELECT
    "id" AS "id",
    CASE
      -- PrivateBank (私人银行客户)
      WHEN COALESCE("金融资产" >= 10000000, FALSE) THEN 'PrivateBank'
      -- VIP (贵宾客户)
      WHEN COALESCE("金融资产" >= 1000000, FALSE) THEN 'VIP'
      -- Ordinary (普通客户)
      WHEN TRUE THEN 'Ordinary'
    END AS "__d0"
  FROM customers
)
SELECT
  "id",
  "__d0" AS "tier",
  CASE WHEN "__d0" = 'PrivateBank' THEN '私人银行客户' WHEN "__d0" = 'VIP' THEN '贵宾客户' WHEN "__d0" = 'Ordinary' THEN '普通客户' END AS "tier_label",
  CASE
    WHEN "__d0" = 'PrivateBank' THEN CAST('{"relationship_manager":"dedicated private banker","review":"1/month","lounge_access":true,"services":["family trust","tax and legal advisory","discretionary portfolio"]}' AS JSON)
    WHEN "__d0" = 'VIP' THEN CAST('{"relationship_manager":"wealth manager","review":"1/quarter","lounge_access":true,"services":["wealth planning"]}' AS JSON)
    WHEN "__d0" = 'Ordinary' THEN CAST('{"relationship_manager":"branch teller team","review":"1/year","lounge_access":false,"services":[]}' AS JSON)
  END AS "tier_strategy"
FROM decided
