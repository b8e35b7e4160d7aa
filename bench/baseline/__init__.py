"""The floor: a bare Django app with minimal views doing the same one Redis call as ours.

No middleware, no authentication, no browsable API: what Django + DRF + redis-py cost on
their own. `make bench` serves it the fastest way it finds and divides our figures by its.
"""
