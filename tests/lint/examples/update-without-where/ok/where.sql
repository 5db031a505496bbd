UPDATE users SET email = NULL WHERE id = 1;
