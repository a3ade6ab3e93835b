"""Alembic migrations of the warehouse (run programmatically by grassroots.warehouse.upgrade)."""
