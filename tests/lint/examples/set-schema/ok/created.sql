CREATE TABLE staging (id bigint);
ALTER TABLE staging SET SCHEMA archive;
