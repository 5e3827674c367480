"""What migrate_legacy tells the operator, for every source: the summary line (in the
conditional for a dry run), the rejected items, and the one JSON object of --json.
"""

import json
import sys
from typing import Any

from django.urls import NoReverseMatch, reverse

from migration_app.models import MigrationItem, MigrationRun

SHOWN_REJECTED = 20  # rejected items listed at the default verbosity
Outcome = MigrationItem.Outcome


def progress_bar_draw(stdout, run: MigrationRun, width: int = 40) -> None:
    """Redraw the run's progress bar in place (an on_progress listener of a command)."""
    done, total = run.progress_done, run.progress_total
    filled = width * done // total if total else width
    stdout.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total}", ending="")
    stdout.flush()


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _work(counts: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """What the run did (or would do) as (key, noun, done verb, conditional verb): sessions
    first, then every source's other subjects, then the transcripts copied if any."""
    subjects = sorted(k for k in counts if k.endswith("_migrated") and k != "session_migrated")
    subjects.insert(0, "session_migrated")
    work = [(k, k.removesuffix("_migrated"), "migrated", "would migrate") for k in subjects]
    if counts.get("transcripts_copied"):
        work.append(("transcripts_copied", "transcript", "copied", "would copy"))
    return work


def outcome_lines(run: MigrationRun) -> list[str]:
    """The summary a person reads: what was done, or for a dry run what would be done."""
    counts = run.counts or {}
    dry = run.dry_run
    work = _work(counts)
    done = [
        f"{conditional} {_plural(counts.get(key, 0), noun)}"
        if dry
        else f"{_plural(counts.get(key, 0), noun)} {verb}"
        for key, noun, verb, conditional in work
    ]
    skipped, failed = counts.get(Outcome.SKIPPED, 0), counts.get(Outcome.FAILED, 0)
    if dry:
        head = f"Dry run (nothing written), run {run.id}"
        rest = [f"would skip {skipped:,}", f"{failed:,} would fail or be rejected"]
        end = "partial (some items rejected)" if run.status == "partial" else run.status
        tail = f"the import would end {end}"
    else:
        head = f"Import finished, run {run.id}"
        rest = [f"{skipped:,} skipped", f"{failed:,} failed or rejected"]
        tail = f"the run ended {run.status}"
    lines = [f"{head}: " + ", ".join(done + rest) + f"; {tail}."]
    shown = {key for key, *_ in work}
    for key in sorted(counts):
        if "_" in key and counts[key] and key not in shown:
            lines.append(f"  {key}: {counts[key]}" + (" (planned)" if dry else ""))
    return lines


def rejected_items(run: MigrationRun, *, limit: int | None = None) -> list[tuple[str, str]]:
    """(path or id, reason) of the run's failed items, in the order they were recorded."""
    items = run.items.filter(outcome=Outcome.FAILED).order_by("id")
    return list(items.values_list("subject_id", "reason")[:limit])


def run_page(run: MigrationRun) -> str:
    try:
        return reverse("admin:migration_app_legacyimport_change", args=[run.pk])
    except NoReverseMatch:
        return f"run {run.pk}"


def run_summary(run: MigrationRun, *, rejected: bool = True) -> dict[str, Any]:
    """The run in --json, with every rejected item unless told not to (a run just queued)."""
    summary = {
        "run_id": str(run.id),
        "status": run.status,
        "dry_run": run.dry_run,
        "source": run.params.get("source"),
        "path": run.params.get("path"),
        "counts": run.counts,
        "exit_code": 0 if run.status == MigrationRun.Status.SUCCEEDED else 1,
        "error": None,
        "run_error": run.error or None,  # what stopped a run that ended failed
    }
    if rejected:
        summary["rejected"] = [{"path": p, "reason": r} for p, r in rejected_items(run)]
    return summary


def refusal_summary(message: str) -> dict[str, Any]:
    """The JSON object of a refused command: nothing ran, nothing was written."""
    return {
        "run_id": None,
        "status": "refused",
        "dry_run": None,
        "source": None,
        "path": None,
        "counts": {},
        "rejected": [],
        "exit_code": 2,
        "error": message,
    }


REFUSED = 2


class JsonRefusalMixin:
    """For a command with --json: even a refusal of its command line is one JSON object."""

    def run_from_argv(self, argv):
        self._json_argv = "--json" in argv
        super().run_from_argv(argv)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        plain_error = parser.error

        def error(message):
            if getattr(self, "_json_argv", False):
                self.stdout.write(json.dumps(refusal_summary(message), sort_keys=True))
                sys.exit(REFUSED)
            plain_error(message)

        parser.error = error
        return parser
