"""Shared builders of sample data and fixtures for the tests: tests/samples/<area>.py."""
