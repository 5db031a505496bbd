-- squawk-ignore ban-drop-table --   
DROP TABLE users;
