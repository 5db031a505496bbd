SET SESSION Lock_Timeout = '0';
