SELECT existing_function();
