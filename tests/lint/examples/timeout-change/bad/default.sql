SET statement_timeout TO DEFAULT;
