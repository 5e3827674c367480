"""REST endpoints of migration_app (mounted by config/api.py).

Each topic module has its own sub-router, added here.
"""

from ninja import Router

from migration_app.api import (
    runs,
    session_delete,  # noqa: F401  (adds DELETE to the sessions router)
    workstreams,  # noqa: F401  (adds PATCH to the sessions router)
)
from migration_app.api.projects import router as projects_router
from migration_app.api.tasks import router as tasks_router

router = Router(tags=["migrations"])
router.add_router("", tasks_router)
router.add_router("", projects_router)
router.add_router("", runs.router)
