ALTER TABLE users ADD COLUMN role text;
UPDATE users SET role = 'USER';
