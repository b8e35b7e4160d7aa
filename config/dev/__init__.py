"""The development launcher (`make run`): the embedded Redis and the recorded dev environment. Imports no app."""
