-- squawk-ignore ban-drop-table -- unused since v2, approved in #12
DROP TABLE users;
