RESET lock_timeout;
