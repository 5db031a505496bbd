SET search_path = app;
