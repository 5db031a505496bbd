CREATE FUNCTION cleanup() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$;
SELECT cleanup();
