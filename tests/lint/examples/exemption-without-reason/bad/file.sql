-- squawk-ignore-file
DROP TABLE users;
