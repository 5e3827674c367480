"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker).

Each task is one line calling a service, with JSON-safe arguments.
"""

from dataclasses import asdict

from django_tasks import task

from migration_app.services.demo_seed import demo_seed


@task()
def demo_seed_task() -> dict:
    return asdict(demo_seed())
