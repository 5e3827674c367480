"""REST endpoints of sessions_app (mounted by config/api.py)."""

from ninja import Router

router = Router(tags=["sessions"])
