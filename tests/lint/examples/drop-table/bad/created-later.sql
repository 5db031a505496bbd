DROP TABLE t;
CREATE TABLE t (id bigint);
