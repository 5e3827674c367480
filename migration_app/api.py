"""REST endpoints of migration_app (mounted by config/api.py)."""

from ninja import Router

router = Router(tags=["migration"])
