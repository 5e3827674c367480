"""Helpers shared by the task re-association tests: the runs as commands start them, a
database trigger that refuses one session's update."""

from contextlib import contextmanager

from django.db import connection

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from sessions_app.models import Session


def reassociate_tasks(*, mapping, **options):
    return migration_run_dispatch(
        kind=MigrationRun.Kind.REASSOCIATE_TASK, mapping=mapping, **options
    )


def reassociate_task(*, old_task_id, new_task_id, **options):
    return reassociate_tasks(mapping=[(old_task_id, new_task_id)], **options)


def migrate_task_backend(*, execute=False, **options):
    """The command's default: a dry run unless asked to execute."""
    return migration_run_dispatch(
        kind=MigrationRun.Kind.TASK_BACKEND, dry_run=not execute, **options
    )


def task_ids(*ids):
    return [Session.objects.get(pk=i).task_id for i in ids]


@contextmanager
def failing_update_of(session_id):
    """A real database trigger that refuses to change one session's task id."""
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_task_update() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'task id locked'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_task BEFORE UPDATE OF task_id ON {table} FOR EACH ROW "
                f"WHEN (OLD.id = '{session_id}') EXECUTE FUNCTION refuse_task_update()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse_task BEFORE UPDATE OF task_id ON {table} "
                f"WHEN OLD.id = '{session_id}' BEGIN SELECT RAISE(ABORT, 'task id locked'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER refuse_task ON {table}")
                cursor.execute("DROP FUNCTION refuse_task_update()")
            else:
                cursor.execute("DROP TRIGGER refuse_task")
