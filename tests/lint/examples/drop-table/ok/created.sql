CREATE TABLE t (id bigint);
DROP TABLE t;
