-- The published RFM recipe on UCI Online Retail, written by hand for DuckDB: the
-- peer of policies/rfm.tier in bench/rfm.py. __SRC__ is the CSV file, __ASOF__
-- the reference date. Quintiles as pandas' qcut: edges from quantile_cont (linear
-- interpolation), buckets closed on the right; F over row_number() in frequency
-- then customer-id order (rank(method="first")).
WITH lines AS (
  SELECT CAST(customer AS BIGINT) AS customer, invoice, quantity * price AS amount, ts
  FROM read_csv(__SRC__, header = true,
                types = ['VARCHAR', 'VARCHAR', 'VARCHAR', 'DECIMAL(18,3)', 'TIMESTAMP', 'DECIMAL(18,3)',
                         'BIGINT', 'VARCHAR'])
       AS t(invoice, stock, description, quantity, ts, price, customer, country)
  WHERE customer IS NOT NULL AND invoice NOT LIKE '%C%'
),
per AS (
  SELECT customer,
         CAST(floor((epoch(TIMESTAMP __ASOF__) - epoch(max(ts))) / 86400) AS BIGINT) AS recency,
         count(DISTINCT invoice) AS frequency,
         sum(amount) AS monetary
  FROM lines GROUP BY customer
  HAVING sum(amount) > 0
),
ranked AS (
  SELECT *, row_number() OVER (ORDER BY frequency, customer) AS frank FROM per
),
edges AS (
  SELECT quantile_cont(recency, [0.2, 0.4, 0.6, 0.8]) AS r, quantile_cont(frank, [0.2, 0.4, 0.6, 0.8]) AS f
  FROM ranked
),
scored AS (
  SELECT customer,
         5 - ((recency > r[1])::INT + (recency > r[2])::INT + (recency > r[3])::INT + (recency > r[4])::INT) AS R,
         1 + (frank > f[1])::INT + (frank > f[2])::INT + (frank > f[3])::INT + (frank > f[4])::INT AS F
  FROM ranked, edges
)
SELECT customer,
       CASE
         WHEN R = 5 AND F >= 4 THEN 'champions'
         WHEN R IN (3, 4) AND F >= 4 THEN 'loyal_customers'
         WHEN R <= 2 AND F = 5 THEN 'cant_loose'
         WHEN R <= 2 AND F IN (3, 4) THEN 'at_Risk'
         WHEN R <= 2 AND F <= 2 THEN 'hibernating'
         WHEN R = 3 AND F = 3 THEN 'need_attention'
         WHEN R = 3 AND F <= 2 THEN 'about_to_sleep'
         WHEN R IN (4, 5) AND F IN (2, 3) THEN 'potential_loyalists'
         WHEN R = 4 AND F = 1 THEN 'promising'
         WHEN R = 5 AND F = 1 THEN 'new_customers'
       END AS segment
FROM scored
ORDER BY customer
