"""Redis plumbing: the clients of every role, the Lua loader, the key prefix, replication, errors. Imports no app."""
