"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""

from django_tasks import task

from migration_app.services.task_reassociation import task_reassociation_execute_by_id


@task()
def task_reassociation_run(run_id: str) -> None:
    """Carry out a started reassociate_task / task_backend run."""
    task_reassociation_execute_by_id(run_id=run_id)
