SET lock_timeout = 0;
ALTER TABLE users DROP COLUMN x;
