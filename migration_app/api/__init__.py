"""REST endpoints of migration_app (mounted by config/api.py).

Each topic module has its own sub-router, added here.
"""

from ninja import Router

router = Router(tags=["migrations"])

# Operations that join other apps' routers register when imported.
from migration_app.api import workstreams  # noqa: E402,F401
