"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""

from django_tasks import task

from migration_app.services.attach_workstream import sessions_attach_to_workstream


@task()
def attach_sessions_task(run_id: str, workstream_id: str, session_ids: list[str]) -> str:
    return str(
        sessions_attach_to_workstream(
            workstream_id=workstream_id, session_ids=session_ids, run_id=run_id
        ).pk
    )
