"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""

from dataclasses import asdict

from django_tasks import task

from migration_app.services.demo_seed import demo_seed
from migration_app.services.session_to_project import session_to_project_run_execute
from migration_app.services.task_reassociation import task_reassociation_execute_by_id


@task()
def task_reassociation_run(run_id: str) -> None:
    """Carry out a started reassociate_task / task_backend run."""
    task_reassociation_execute_by_id(run_id=run_id)


@task()
def session_to_project_run_task(*, run_id: str) -> None:
    """Carry out a planned session → project run."""
    session_to_project_run_execute(run_id=run_id)


@task()
def demo_seed_task() -> dict:
    """Load the demo data set (a harmless real task: proves the worker end to end)."""
    return asdict(demo_seed())
