CREATE TABLE t (id bigint);
TRUNCATE t;
