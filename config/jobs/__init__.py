"""RQ: the worker and cron scheduler classes the Procfile runs, and RQ's own key names. Imports no app."""
