"""REST endpoints of migration_app (mounted by config/api.py).

Each topic module has its own sub-router, added here.
"""

from ninja import Router

from migration_app.api import (
    projects,
    runs,
    session_delete,  # noqa: F401  (adds DELETE to the sessions router)
    tasks,
    workstreams,  # noqa: F401  (adds PATCH to the sessions router)
)

router = Router(tags=["migrations"])
for topic in (tasks, projects, runs):
    router.add_router("", topic.router)
