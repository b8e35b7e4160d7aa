"""The HTTP edge: errors and their envelope, parsers, fields, request logs, error pages, OpenAPI, the fast path. Imports no app."""
