-- migpipe-ignore truncate
TRUNCATE users;
