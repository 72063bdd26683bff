"""PostgreSQL only: speed-ups used when the registry is on PostgreSQL (see `postgresql_fast_paths`)."""
