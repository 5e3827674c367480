"""REST endpoints of projects_app (mounted by config/api.py)."""

from ninja import Router

router = Router(tags=["projects"])
