CREATE INDEX i ON users (email);
