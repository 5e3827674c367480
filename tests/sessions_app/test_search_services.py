"""Repairing the search index: lost triggers found and restored, the rows indexed again."""

import pytest
from django.core.management import call_command
from django.db import connection

from sessions_app.search_query import query_parse
from sessions_app.search_selectors import SearchFilters, search_hits
from sessions_app.search_services import search_index_missing, search_index_rebuild
from tests.factories import MessageFactory, SessionFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def drop_message_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for t in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER search_message_fts_{t}")
        else:
            cursor.execute("DROP TRIGGER search_message_fts_tr ON projects_app_message")


def found(text):
    query = query_parse(text=text)
    hits, _ = search_hits(user=StaffFactory(), query=query, filters=SearchFilters())
    return len(hits)


def test_every_trigger_exists_after_migrate():
    assert search_index_missing() == []


def test_rebuild_restores_lost_triggers_and_rows(capsys):
    drop_message_triggers()
    assert search_index_missing()
    MessageFactory(content="unindexed okapi")
    SessionFactory(title="okapi session")
    assert found("okapi") == 1  # only the session: the message went in without its trigger

    assert search_index_rebuild(dry_run=True)["message"] == 1
    assert search_index_missing()  # the dry run rolled back

    call_command("search_index_rebuild")
    assert "Indexed 1 message rows" in capsys.readouterr().out
    assert search_index_missing() == []
    assert found("okapi") == 2
    MessageFactory(content="okapi again")
    assert found("okapi") == 3
