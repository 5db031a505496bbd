WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone;
