"""Two attaches of the same session at once: one wins, the other gets a conflict, no file lost.

Real threads with their own database connections (transaction=True), on SQLite and PostgreSQL.
"""

import threading

import pytest
from django.db import connection

from migration_app.services import MigrationConflict
from migration_app.services.attach_workstream import (
    AttachResult,
    attach_workstream_undo,
)
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from tests.migration_app.attach_helpers import (
    attach_session,
    generated_tree,
    named_workstream,
    scratch_session,
    tree_digest,
)


def _race(targets: list[str]) -> list:
    """Both threads read the session (in scratch) first, then attach at the same moment."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def attach(index: int, target: str) -> None:
        try:
            session = Session.objects.get(id="race")
            workstream = Workstream.objects.get(id=target)
            barrier.wait()
            results[index] = attach_session(session=session, workstream=workstream)
        except MigrationConflict as exc:
            results[index] = exc
        except Exception as exc:  # anything else fails the test below, with its message
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attach, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("targets", [["ws-a", "ws-b"], ["ws-a", "ws-a"]])
def test_concurrent_attaches_of_one_session_one_wins_one_conflicts(data_dir, targets):
    named_workstream("ws-a")
    named_workstream("ws-b")
    scratch_session("race", generated_tree(9, 200))
    expected = tree_digest(files.scratch_session_work_dir("race"))
    for _round in range(4):
        results = _race(targets)
        winners = [r for r in results if isinstance(r, AttachResult)]
        losers = [r for r in results if isinstance(r, MigrationConflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        winner = winners[0]
        target = Session.objects.get(id="race").workstream_id
        assert target == winner.run.params["workstream"]
        assert tree_digest(files.attached_session_work_dir(target, "race")) == expected
        assert not files.scratch_session_dir("race").exists()
        for other in {"ws-a", "ws-b"} - {target}:
            assert not files.attached_session_work_dir(other, "race").exists()
        failed = losers[0]
        assert (
            "concurrent" in str(failed)
            or "in progress" in str(failed)
            or "meanwhile" in str(failed)
        )
        attach_workstream_undo(run=winner.run)
        assert Session.objects.get(id="race").workstream_id == SCRATCH_WORKSTREAM_ID
        assert tree_digest(files.scratch_session_work_dir("race")) == expected
