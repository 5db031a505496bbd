DELETE FROM orders WHERE created_at < now() - interval '1 year';
