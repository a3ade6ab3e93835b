"""Benchmarks: `make bench` runs them all and prints each against its baseline."""
