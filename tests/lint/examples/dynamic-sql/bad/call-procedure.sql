CREATE PROCEDURE app.wipe() LANGUAGE sql AS $$ DELETE FROM users $$;
CALL app.wipe();
