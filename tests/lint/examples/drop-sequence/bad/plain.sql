DROP SEQUENCE order_seq;
