DELETE FROM orders USING users;
