"""SQLite only: the speed-ups of the embedded registry, never used on any other database.

`registry.database.sqlite_fast_paths()` switches them on by the engine's dialect; the portable
code in `registry.predictions` and `registry.history` gives the same answers without them.

- `connections`: every connection's settings (WAL, busy timeout, memory map), and each thread's
  own driver connection that stores predictions, taking turns with other writers on a lock file;
- `checkpoints`: WAL checkpoints in a thread of their own, off the request path;
- `inserts`: predictions stored straight through that connection, many rows per statement;
- `export`: the history's CSV lines written by SQLite's printf.
"""
