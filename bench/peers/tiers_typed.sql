-- tiers.sql over a typed read with ignore_errors: a row with a cell that does not
-- cast to its column's type (an amount `n/a`, a date `2021-02-30`) is skipped,
-- as `tier apply --on-error skip` sets it aside. __SRC__ is the quoted CSV path.
SELECT id,
       CASE
         WHEN annual_spend >= 1000000 THEN 'VIP'
         WHEN annual_spend >= 300000 AND annual_spend < 1000000
              AND orders_per_quarter >= 3 THEN 'Important'
         WHEN annual_spend >= 100000 THEN 'General'
         ELSE 'Small'
       END AS tier
FROM read_csv(__SRC__, header = true, ignore_errors = true,
              columns = {'id': 'VARCHAR', 'name': 'VARCHAR', 'region': 'VARCHAR',
                         'annual_spend': 'DECIMAL(18, 2)', 'orders_per_quarter': 'DOUBLE',
                         'first_purchase': 'DATE', 'last_purchase': 'DATE'})
