"""The SQLite triggers that renew the project list's change token (models.ChangeToken).

The project list endpoint keeps rendered pages while the token stays the same
(config/page_cache.py). The list reads projects, workspaces and workspace memberships,
so an insert, update or delete on any of those tables gives the token a new random
value, in the writer's own transaction.

Triggers belong to their table: when Django's SQLite schema editor rebuilds a table
(most ALTERs copy it into a new table and drop the old one), its triggers are gone.
So they are (re)created after every `migrate` (apps.py, post_migrate), and the token
is read only while all of them exist: with one missing, nothing is kept, which is
slower but never stale.

PostgreSQL gets no triggers and keeps nothing: one token row updated by every
project-writing transaction would make concurrent writers (the migration runs) wait on
each other, and could deadlock them.
"""

TOKEN_TABLE = "projects_app_changetoken"
SCOPE = "project-list"
WATCHED_TABLES = (
    "projects_app_project",
    "projects_app_workspace",
    "projects_app_workspace_members",
)
EVENTS = ("INSERT", "UPDATE", "DELETE")
TRIGGER_NAMES = tuple(
    f"{table}_{event.lower()}_renews_list_token" for table in WATCHED_TABLES for event in EVENTS
)

# Update, then insert if missing. An INSERT OR REPLACE would not do: inside a trigger
# SQLite applies the outer statement's conflict rule instead, and Django adds
# memberships with INSERT OR IGNORE, which would leave the token as it was.
_NEW_TOKEN = "lower(hex(randomblob(16)))"
_RENEW = (
    f"UPDATE {TOKEN_TABLE} SET token = {_NEW_TOKEN} WHERE scope = '{SCOPE}'",
    f"INSERT INTO {TOKEN_TABLE} (scope, token) SELECT '{SCOPE}', {_NEW_TOKEN} "
    f"WHERE NOT EXISTS (SELECT 1 FROM {TOKEN_TABLE} WHERE scope = '{SCOPE}')",
)

# The token, and only while every trigger is in place.
_TOKEN_READ = (
    f"SELECT token FROM {TOKEN_TABLE} WHERE scope = %s AND (SELECT COUNT(*) FROM "
    f"sqlite_master WHERE type = 'trigger' AND name IN ({', '.join(['%s'] * len(TRIGGER_NAMES))}))"
    " = %s"
)


def triggers_ensure(connection) -> None:
    """Create the missing triggers and the token row (SQLite; elsewhere nothing).

    Idempotent. Nothing happens before the token table exists (a database migrated to
    before it): a trigger writing to a missing table would break every project write.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if TOKEN_TABLE not in connection.introspection.table_names(cursor):
            return
        for statement in _RENEW:
            cursor.execute(statement)
        names = iter(TRIGGER_NAMES)
        for table in WATCHED_TABLES:
            for event in EVENTS:
                cursor.execute(
                    f'CREATE TRIGGER IF NOT EXISTS "{next(names)}" AFTER {event} ON "{table}" '
                    f"BEGIN {'; '.join(_RENEW)}; END"
                )


def triggers_drop(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in TRIGGER_NAMES:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def list_token_read(connection) -> str | None:
    """The project list's token; None on PostgreSQL (no query), without a token row, or
    while a trigger is missing."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_READ, [SCOPE, *TRIGGER_NAMES, len(TRIGGER_NAMES)])
        row = cursor.fetchone()
    return None if row is None else row[0]
