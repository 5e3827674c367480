"""REST endpoints of migration_app (mounted by config/api.py).

Each topic module has its own sub-router, added here.
"""

from ninja import Router

router = Router(tags=["migrations"])
