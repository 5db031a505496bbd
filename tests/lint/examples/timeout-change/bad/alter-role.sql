ALTER ROLE app SET lock_timeout = 0;
