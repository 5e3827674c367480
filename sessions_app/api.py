"""REST endpoints of sessions_app (mounted by config/api.py)."""

from ninja import Router

router = Router(tags=["sessions"])

# Operations on one URL must share one router and one path string: session detail
# operations are all written "/sessions/{session_id}" (migration_app adds PATCH to it).
