SELECT '-- squawk-ignore ban-drop-table';
