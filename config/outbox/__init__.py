"""The outbox Stream: appending, the consumer-group reader, its trim, and the PostgreSQL archiver loop. Imports no app."""
