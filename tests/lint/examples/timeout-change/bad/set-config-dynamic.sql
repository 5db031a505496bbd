SELECT set_config(name, '0', false) FROM settings;
