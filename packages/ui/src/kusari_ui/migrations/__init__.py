"""Alembic migrations of the dashboard's database (run by ``kusari_ui.db.upgrade_database``)."""
