"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""

from django_tasks import task

from migration_app.services.session_to_project import session_to_project_run_execute


@task()
def session_to_project_run_task(*, run_id: str) -> None:
    session_to_project_run_execute(run_id=run_id)
