DELETE FROM app."Orders";
