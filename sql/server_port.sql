-- server_port.sql: the server's port setting. Run by tools/reckon_slot.c
-- to name its state directory. No parameters; one row, one column.
SELECT pg_catalog.current_setting('port')
