"""Undo's rule for shared rows: a project or workspace a run created goes only when
nothing else uses it any more (rows added since the run keep it, and the notes say so)."""

from collections.abc import Iterable, Sequence

from django.db import models

from projects_app.models import Project

PROJECT_USERS = ("sessions", "conversations", "artifacts")  # what keeps a project


def unused_rows_delete(
    *, model: type[models.Model], ids: Iterable, relations: Sequence[str], notes: list[str]
) -> int:
    """Delete the rows of `model` among `ids` that no row reaches through `relations`
    (reverse relation names); returns how many were deleted."""
    ids = list(ids)
    busy = set()
    for relation in relations:
        used = model.objects.filter(pk__in=ids, **{f"{relation}__isnull": False})
        busy |= set(used.values_list("pk", flat=True))
    label = model._meta.verbose_name
    notes.extend(f"{label} {pk} kept: other rows still use it" for pk in sorted(map(str, busy)))
    _, deleted = model.objects.filter(pk__in=ids).exclude(pk__in=busy).delete()
    return deleted.get(model._meta.label, 0)


def projects_undo(chunk: list, notes: list[str]) -> int:
    """An import's undoer of the projects it created (items named by the project id)."""
    ids = [item.subject_id for item in chunk]
    return unused_rows_delete(model=Project, ids=ids, relations=PROJECT_USERS, notes=notes)
