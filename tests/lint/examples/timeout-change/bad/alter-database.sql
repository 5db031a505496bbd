ALTER DATABASE app SET statement_timeout = 0;
