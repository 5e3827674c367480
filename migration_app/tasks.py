"""Background tasks (django-tasks; the django-tasks-db worker runs them: manage.py db_worker),
each one line calling a service, with JSON-safe arguments."""

from dataclasses import asdict

from django_tasks import task

from migration_app.demo import demo_seed
from migration_app.services.journal import migration_run_execute
from migration_app.services.transcripts.batches import transcript_batch_work


@task()
def migration_run_task(run_id: str) -> str:
    """Carry out a planned run of any kind (migration_app.dispatch queues it)."""
    return migration_run_execute(run_id=run_id).status


@task()
def demo_seed_task() -> dict:
    """Load the demo data set (a harmless real task: proves the worker end to end)."""
    return asdict(demo_seed())


@task()
def transcript_batch_task(batch_id: int) -> str:
    """A worker's share of a background import_transcripts run (services/transcripts/batches)."""
    return transcript_batch_work(batch_id=batch_id)
