"""Read-side queries of the migration journal."""

from collections.abc import Iterator

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from migration_app.models import MigrationItem, MigrationRun
from sessions_app.selectors import find_sessions_by_task_id
from sessions_app.task_ids import is_qualified, normalise_task_id


def keyset_pages(
    queryset: QuerySet, *, size: int, key: str = "pk", limit: int | None = None
) -> Iterator[list]:
    """The rows of `queryset` (models, or values_list rows that start with the key) in `key`
    order, `size` at a time, at most `limit`. Each page is read as `key > last`, never
    OFFSET: one index range per page, also right for a set that shrinks as it is handled."""
    last = None
    while limit is None or limit > 0:
        page = queryset if last is None else queryset.filter(**{f"{key}__gt": last})
        rows = list(page.order_by(key)[: size if limit is None else min(size, limit)])
        if not rows:
            return
        yield rows
        tail = rows[-1]
        last = tail[0] if isinstance(tail, tuple) else getattr(tail, "pk", tail)
        limit = None if limit is None else limit - len(rows)


def migration_run_later_touching(
    *, run: MigrationRun, subject_type: str, chunk: int
) -> MigrationRun | None:
    """The earliest later real run, not undone, that migrated one of the subjects of
    `subject_type` this run migrated (its undo is refused while that run stands)."""
    migrated = MigrationItem.Outcome.MIGRATED
    mine = run.items.filter(subject_type=subject_type, outcome=migrated)
    for page in keyset_pages(mine.values_list("pk", "subject_id"), size=chunk):
        item = (
            MigrationItem.objects.filter(
                subject_type=subject_type, outcome=migrated,
                subject_id__in=[subject for _, subject in page],
                run__dry_run=False, run__started_at__gte=run.started_at,
            )
            .exclude(run=run)
            .exclude(run__status=MigrationRun.Status.UNDONE)
            .select_related("run")
            .order_by("run__started_at")
            .first()
        )  # fmt: skip
        if item is not None:
            return item.run
    return None


def migration_item_list(*, run: MigrationRun, outcome: str | None = None) -> QuerySet:
    items = MigrationItem.objects.filter(run=run).order_by("id")
    return items.filter(outcome=outcome) if outcome else items


def migration_item_page(*, run: MigrationRun, outcome: str | None, page: int | str) -> Page:
    return Paginator(migration_item_list(run=run, outcome=outcome), 100).get_page(page)


def migration_run_list(*, user) -> QuerySet[MigrationRun]:
    """Runs the user may see: all for active staff, none for anyone else."""
    if not user or not user.is_authenticated or not user.is_active or not user.is_staff:
        return MigrationRun.objects.none()
    return MigrationRun.objects.order_by("-started_at", "id")


def task_run_summary(*, run: MigrationRun) -> dict:
    """The result of a reassociate_task / task_backend run, as commands and the API report it."""
    counts = run.counts or {}
    sessions = ("found", "updated", "would_update", "unchanged", "failed")
    return {
        "run_id": str(run.id),
        "kind": run.kind,
        "status": run.status,
        "dry_run": run.dry_run,
        **{f"sessions_{name}": counts.get(f"sessions_{name}", 0) for name in sessions},
        "updated_sessions": counts.get("updated_sessions", []),
        "errors": counts.get("errors", []),
        "error": run.error,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
    }


def task_reassociation_preview(
    *, mapping: list[tuple[str, str]], session_ids: list[str] | None = None, limit: int = 100
) -> list[dict]:
    """Per (old, new) pair, without writing: the sessions found, how many store the id plain
    vs qualified, how many already hold the new value, the first `limit` (id, stored, new)."""
    preview = []
    for old, new in mapping:
        old, new = normalise_task_id(old), normalise_task_id(new)
        sessions = find_sessions_by_task_id(task_id=old)
        if session_ids is not None:
            sessions = sessions.filter(pk__in=session_ids)
        per_value = dict(sessions.order_by().values_list("task_id").annotate(n=Count("pk")))
        qualified = sum(n for value, n in per_value.items() if is_qualified(value))
        rows = list(sessions.order_by("pk").values_list("pk", "task_id")[:limit])
        preview.append(
            {
                "old": old,
                "new": new,
                "found": sum(per_value.values()),
                "qualified": qualified,
                "plain": sum(per_value.values()) - qualified,
                "unchanged": per_value.get(new, 0),
                "rows": [(pk, stored, new) for pk, stored in rows],
            }
        )
    return preview


def migration_run_figures(*, run: MigrationRun) -> dict:
    """The run's counts arranged for its page: the outcomes (every run has them), then per
    subject type, then the kind's own figures; lists (notes, errors) apart."""
    counts = dict(run.counts or {})
    outcomes = [(name, counts.pop(name, 0)) for name in MigrationItem.Outcome.values]
    lists = {name: counts.pop(name) for name in list(counts) if isinstance(counts[name], list)}
    suffixes = tuple(f"_{name}" for name, _ in outcomes)
    per_subject = {name: counts.pop(name) for name in list(counts) if name.endswith(suffixes)}
    return {"outcomes": outcomes, "per_subject": per_subject, "figures": counts, "lists": lists}


def migration_run_progress_view(*, run: MigrationRun) -> dict:
    """What the run page polls while the run goes on (small: no counts, no params)."""
    return {
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": run.progress_percent,
        "finished": run.is_finished,
        "waiting_for_worker": run.status == MigrationRun.Status.PLANNED,
    }


def migration_runs_of_subject(*, subject_type: str, subject_id: str) -> list[tuple]:
    """The 20 latest runs that journaled this subject, newest first, with its outcome in each."""
    items = (
        MigrationItem.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("run")
        .order_by("-id")[:20]
    )
    return [(item.run, item.outcome) for item in items]


DASHBOARD_CACHE_SECONDS = 30  # table-wide counts: fresh enough, and cheap at a million rows


def dashboard_runs(*, recent: int = 10) -> dict:
    """Runs in progress (planned or running) and the latest finished ones."""
    runs = MigrationRun.objects.defer("params")
    live = [MigrationRun.Status.PLANNED, MigrationRun.Status.RUNNING]
    active = list(runs.filter(status__in=live).order_by("started_at")[:50])
    finished = list(runs.filter(finished_at__isnull=False).order_by("-finished_at")[:recent])
    return {"active": active, "recent": finished}


def dashboard_totals() -> dict:
    """Sessions by source and status, projects by status (cached for a few seconds)."""
    from django.core.cache import cache

    from projects_app.models import Project
    from sessions_app.models import Session

    totals = cache.get("sessionhub:dashboard-totals")
    if totals is not None:
        return totals
    statuses = list(Session.Status.values)
    rows = Session.objects.values_list("source", "status").annotate(n=Count("pk")).order_by()
    by_source: dict[str, dict[str, int]] = {}
    for source, status, n in rows:
        by_source.setdefault(source, dict.fromkeys(statuses, 0))[status] = n
    projects = dict(Project.objects.order_by().values_list("status").annotate(n=Count("pk")))
    totals = {
        "statuses": statuses,
        "sessions": sorted(
            (source, [counts[s] for s in statuses], sum(counts.values()))
            for source, counts in by_source.items()
        ),
        "projects": [(status, projects.get(status, 0)) for status in Project.Status.values],
    }
    cache.set("sessionhub:dashboard-totals", totals, DASHBOARD_CACHE_SECONDS)
    return totals
