SET search_path = app;
SET LOCAL work_mem = '64MB';
