"""Session numbers of the second pass: ids without a number and clash losers get the next
free number of their project, in created_at order (so a re-run numbers alike).
"""

from __future__ import annotations

from collections import deque

from migration_app.models import MigrationItem
from migration_app.services.legacy_import.ao.state import ImportState
from sessions_app.models import Session

Outcome = MigrationItem.Outcome


class UsedNumbers:
    """The numbers used in one project, read in ascending windows of USED_WINDOW from the
    number the search has reached (bounded memory, one query per window)."""

    def __init__(self, project_id: str):
        self.project_id = project_id
        self.window: deque[int] = deque()
        self.read_from = 1  # numbers below were read already
        self.exhausted = False

    def first_at_or_above(self, num: int) -> int | None:
        while self.window and self.window[0] < num:
            self.window.popleft()
        if not self.window and not self.exhausted:
            start = max(num, self.read_from)
            nums = list(
                Session.objects.filter(project_id=self.project_id, num__gte=start)
                .order_by("num")
                .values_list("num", flat=True)[:USED_WINDOW]
            )
            self.window.extend(nums)
            self.exhausted = len(nums) < USED_WINDOW
            self.read_from = nums[-1] + 1 if nums else start
        return self.window[0] if self.window else None


USED_WINDOW = 5_000


def next_free(state: ImportState, project_id: str) -> int:
    """The smallest number not used in the project. Numbers are only ever added, so the
    search resumes where the last one stopped (linear over a whole run, not quadratic)."""
    used = state.used_nums.get(project_id)
    if used is None:
        used = state.used_nums[project_id] = UsedNumbers(project_id)
    num = state.next_num.get(project_id, 1)
    while used.first_at_or_above(num) == num:
        num += 1
    state.next_num[project_id] = num + 1
    return num
