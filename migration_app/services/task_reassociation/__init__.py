"""Re-associating sessions with migrated tasks: two kinds on one batch machinery.

- `reassociate_task`: the sessions of OLD point at NEW (reassociate_task.py);
- `task_backend`: every `<from>#<n>` becomes `<to>#<n>` (task_backend.py).
"""

from migration_app.services.task_reassociation import reassociate_task, task_backend  # noqa: F401
from migration_app.services.task_reassociation.batches import BATCH_SIZE

__all__ = ["BATCH_SIZE"]
