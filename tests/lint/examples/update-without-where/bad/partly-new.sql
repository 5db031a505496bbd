ALTER TABLE users ADD COLUMN n int;
UPDATE users SET n = 1, email = lower(email);
