DROP OWNED BY app_user;
