"""Session → project: TokenDance's project-first migration, set-based and journaled
(docs/session-to-project.md, "How it works"). A batch is planned by `plan.batch_plan`, then
written with a bounded number of bulk statements; a compare-and-set UPDATE decides races.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import keyset_pages
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_items_record,
    migration_items_undo,
    migration_kind_register,
    migration_run_progress,
    migration_run_selection,
    migration_run_selection_batches,
    migration_selection_count,
)
from migration_app.services.session_to_project.plan import SUBJECT, SessionPlan, batch_plan
from projects_app.bulk import rows_update
from projects_app.list_cache import project_list_version_renew
from projects_app.models import Artifact, Conversation, Project, ProjectVersion
from sessions_app.models import Session

KIND = MigrationRun.Kind.SESSION_TO_PROJECT
BATCH_SIZE_DEFAULT = 500
BATCH_SIZE_MAX = 2000
FIRST_ERRORS_MAX = 10
CONVERSATION_COLUMNS = ["project", "status", "message_count", "last_message_at"]
Outcome = MigrationItem.Outcome


def session_to_project_selection(
    *, workspace_slug: str | None, statuses: Sequence[str] | None
) -> QuerySet[Session]:
    """The sessions a run covers (already migrated ones included: they are reported skipped)."""
    sessions = Session.objects.all()
    if workspace_slug:
        sessions = sessions.filter(workspace__slug=workspace_slug)
    if statuses:
        # Case-insensitive, like the status map: real TokenDance rows hold PENDING too.
        folded = sorted({status.strip().lower() for status in statuses})
        sessions = sessions.alias(status_folded=Lower("status")).filter(status_folded__in=folded)
    return sessions


def session_to_project_preview(*, session_ids: Sequence[str]) -> list[SessionPlan]:
    """What a run would do to each of these sessions, decided as the run decides it."""
    return batch_plan(sorted(set(session_ids)))  # a preview's sample: one batch


def session_to_project_plan(
    *,
    session_ids: Sequence[str] | None = None,
    workspace_slug: str | None = None,
    statuses: Sequence[str] | None = None,
    batch_size: int = BATCH_SIZE_DEFAULT,
) -> Planned:
    if not 1 <= batch_size <= BATCH_SIZE_MAX:
        raise MigrationError(f"The batch size must be between 1 and {BATCH_SIZE_MAX}.")
    filtered = session_to_project_selection(workspace_slug=workspace_slug, statuses=statuses)
    if session_ids is None:
        total = filtered.count()
    else:
        session_ids = sorted({str(session_id) for session_id in session_ids})
        # Without filters, unknown ids count too: they are reported as skipped items.
        total = len(session_ids)
        if workspace_slug or statuses:
            total = migration_selection_count(queryset=filtered, subject_ids=session_ids)
    params = {
        "workspace": workspace_slug or None,
        "statuses": list(statuses) if statuses else None,
        "batch_size": batch_size,
    }
    return Planned(params=params, total=total, selection=session_ids)


def session_to_project_execute(run: MigrationRun) -> dict:
    """Every batch commits on its own (a savepoint when the journal rolls back a dry run)."""
    params, size = run.params, run.params["batch_size"]
    selected = migration_run_selection(run=run)
    if selected is not None and not params["workspace"] and not params["statuses"]:
        batches = migration_run_selection_batches(run=run, size=size)
    else:
        selection = session_to_project_selection(
            workspace_slug=params["workspace"], statuses=params["statuses"]
        )
        if selected is not None:
            selection = selection.filter(pk__in=selected)
        batches = keyset_pages(selection.values_list("pk", flat=True), size=size)
    counts = {"total": 0, "messages_relinked": 0, "artifacts_relinked": 0, "first_errors": []}
    for ids in batches:
        for item in _batch_run(ids, run=run):
            counts["total"] += 1
            if item.outcome == Outcome.MIGRATED:
                counts["messages_relinked"] += item.after["messages"]
                counts["artifacts_relinked"] += len(item.after["artifacts"])
            elif item.outcome == Outcome.FAILED and len(counts["first_errors"]) < FIRST_ERRORS_MAX:
                counts["first_errors"].append(item.reason)
    return counts


def _batch_run(ids: Sequence[str], *, run: MigrationRun) -> list[ItemRecord]:
    try:
        with transaction.atomic():
            return _batch_apply(ids, run=run)
    except Exception as exc:
        if len(ids) > 1:
            # The set-based path failed as a whole: replay it one session per savepoint so
            # that only the bad session fails.
            return [item for session_id in ids for item in _batch_run([session_id], run=run)]
        reason = f"Session {ids[0]}: {type(exc).__name__}: {exc}"
        item = ItemRecord(SUBJECT, ids[0], Outcome.FAILED, reason)
    with transaction.atomic():
        migration_items_record(run=run, items=[item])
        migration_run_progress(run=run, advance=1)
    return [item]


def _batch_apply(session_ids: Sequence[str], *, run: MigrationRun) -> list[ItemRecord]:
    plans = batch_plan(session_ids)
    planned = [plan for plan in plans if plan.outcome == Outcome.MIGRATED]
    if planned:
        # The compare-and-set that decides races: only sessions still without a project
        # take ours. On PostgreSQL a concurrent run's UPDATE waits on our row locks and
        # then finds project_id set; on SQLite the IMMEDIATE write lock serialises runs.
        rows_update(
            Session,
            columns=["project", "conversation"],
            rows=[(p.session_id, p.project.pk, p.conversation_id) for p in planned],
            where_null="project",
        )
        won = set(
            Session.objects.filter(
                pk__in=[p.session_id for p in planned],
                project_id__in=[p.project.pk for p in planned],
            ).values_list("pk", flat=True)
        )
        for plan in planned:
            if plan.session_id not in won:
                plan.outcome = Outcome.SKIPPED
                plan.reason = "migrated concurrently by another run"
        _write_projects([plan for plan in planned if plan.session_id in won], actor=run.actor)

    items = [plan.item() for plan in plans]
    migration_items_record(run=run, items=items)
    migration_run_progress(run=run, advance=len(session_ids))
    return items


def _write_projects(winners: list[SessionPlan], *, actor: str) -> None:
    if not winners:
        return
    Project.objects.bulk_create([plan.project for plan in winners])
    project_list_version_renew()  # bulk_create sends no signal
    Conversation.objects.bulk_create([p.new_conversation for p in winners if p.new_conversation])
    # The counters are recomputed from the messages (TokenDance left them 0/null): the
    # figures read at the start of this batch's transaction.
    rows_update(
        Conversation,
        columns=CONVERSATION_COLUMNS,
        rows=[
            (p.conversation_id, p.project.pk, p.conversation_status, p.message_count,
             p.last_message_at)
            for p in winners if not p.new_conversation
        ],
        where_null="project",
    )  # fmt: skip
    rows_update(
        Artifact,
        columns=["project"],
        rows=[(a["id"], plan.project.pk) for plan in winners for a in plan.artifacts],
    )
    now = timezone.now()
    ProjectVersion.objects.bulk_create(
        [plan.first_version(changed_by=actor or "migration", at=now) for plan in winners]
    )


def session_to_project_undo(run: MigrationRun) -> UndoResult:
    """Restore the links of sessions still pointing at the run's projects; delete what it made
    (rows added to those projects since are detached and named in the notes)."""
    return migration_items_undo(run=run, undoers={SUBJECT: _undo_chunk})


def _undo_chunk(chunk: list[MigrationItem], notes: list[str]) -> int:
    project_of = {item.subject_id: item.after["project_id"] for item in chunk}
    project_ids = list(project_of.values())
    current = dict(Session.objects.filter(pk__in=list(project_of)).values_list("pk", "project_id"))
    restorable = [i for i in chunk if current.get(i.subject_id) == project_of[i.subject_id]]
    notes.extend(
        f"session {item.subject_id} no longer points at project "
        f"{project_of[item.subject_id]}; left as it is"
        for item in chunk
        if item not in restorable
    )
    rows_update(
        Session,
        columns=["project", "conversation"],
        rows=[(i.subject_id, None, i.before["session"]["conversation_id"]) for i in restorable],
    )
    rows_update(
        Conversation,
        columns=CONVERSATION_COLUMNS,
        rows=[
            (c["id"], c["project_id"], c["status"], c["message_count"], c["last_message_at"])
            for c in (i.before["conversation"] for i in chunk)
            if c
        ],
    )
    rows_update(
        Artifact,
        columns=["project"],
        rows=[
            (artifact_id, project_id)
            for item in chunk
            for artifact_id, project_id in item.before["artifacts"].items()
        ],
        where_in=("project", project_ids),
    )
    created = [i.after["conversation_id"] for i in chunk if i.after["conversation_created"]]
    Conversation.objects.filter(pk__in=created, messages__isnull=True).delete()
    # Anything still inside the created projects was added after the run: keep it, detached.
    kept_conversations = Conversation.objects.filter(project_id__in=project_ids).update(
        project=None
    )
    kept_artifacts = Artifact.objects.filter(project_id__in=project_ids).update(project=None)
    if kept_conversations or kept_artifacts:
        notes.append(
            f"kept {kept_conversations} conversation(s) and {kept_artifacts} artifact(s) "
            "added to the migrated projects after the run, detached from them"
        )
    ProjectVersion.objects.filter(project_id__in=project_ids).delete()
    Project.objects.filter(pk__in=project_ids).delete()
    return len(restorable)


migration_kind_register(
    MigrationKind(
        KIND,
        plan=session_to_project_plan,
        execute=session_to_project_execute,
        undo=session_to_project_undo,
    )
)
