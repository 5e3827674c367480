"""Session numbers of the second pass: ids without a number and clash losers get the next
free number of their project, in created_at order (so a re-run numbers alike).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

from migration_app.services.legacy_import.ao.state import ImportState
from sessions_app.models import Session

USED_WINDOW = 5_000


def free_numbers(project_id: str) -> Iterator[int]:
    """The numbers not used in the project, ascending. The used ones are read in ascending
    windows of USED_WINDOW from where the search has reached (bounded memory, one query per
    window). Numbers are only ever added, so the search resumes where the last one stopped
    (linear over a whole run, not quadratic)."""
    num = 1
    while True:
        window = list(
            Session.objects.filter(project_id=project_id, num__gte=num)
            .order_by("num")
            .values_list("num", flat=True)[:USED_WINDOW]
        )
        for used in window:
            yield from range(num, used)
            num = used + 1
        if len(window) < USED_WINDOW:
            yield from count(num)


def next_free(state: ImportState, project_id: str) -> int:
    """The smallest number not used in the project."""
    if project_id not in state.free_nums:
        state.free_nums[project_id] = free_numbers(project_id)
    return next(state.free_nums[project_id])
