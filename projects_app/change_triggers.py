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

from projects_app.models import ChangeToken, Project, Workspace

TOKEN_TABLE = ChangeToken._meta.db_table
SCOPE = "project-list"
# Every table projects_app.selectors.project_list reads (a test holds them to it).
WATCHED_TABLES = (
    Project._meta.db_table,
    Workspace._meta.db_table,
    Workspace.members.through._meta.db_table,
)
EVENTS = ("INSERT", "UPDATE", "DELETE")
# Triggers are found by name: change the version when their body changes, and
# triggers_ensure replaces the old ones.
VERSION = 1
# (name, table, event) of each trigger.
_TRIGGERS = tuple(
    (f"{table}_{event.lower()}_renews_list_token_v{VERSION}", table, event)
    for table in WATCHED_TABLES
    for event in EVENTS
)
TRIGGER_NAMES = tuple(name for name, _, _ in _TRIGGERS)

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


def _triggers_writing_the_token(cursor) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
        [f"%{TOKEN_TABLE}%"],
    )
    return [row[0] for row in cursor.fetchall()]


def triggers_ensure(connection) -> None:
    """Create the missing triggers, drop those of another version, and renew the token
    (SQLite; elsewhere nothing).

    Idempotent. Nothing happens before the token table exists (a database migrated to
    before it): a trigger writing to a missing table would break every project write.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if TOKEN_TABLE not in connection.introspection.table_names(cursor):
            return
        for name in set(_triggers_writing_the_token(cursor)) - set(TRIGGER_NAMES):
            cursor.execute(f'DROP TRIGGER "{name}"')
        for statement in _RENEW:
            cursor.execute(statement)
        for name, table, event in _TRIGGERS:
            cursor.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "{table}" '
                f"BEGIN {'; '.join(_RENEW)}; END"
            )


def list_token_read(connection) -> str | None:
    """The project list's token; None on PostgreSQL (no query), without a token row, or
    while a trigger is missing."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_READ, [SCOPE, *TRIGGER_NAMES, len(TRIGGER_NAMES)])
        row = cursor.fetchone()
    return None if row is None else row[0]
