"""Benchmarks that print figures and ratios (`make bench`; each module also runs alone)."""
