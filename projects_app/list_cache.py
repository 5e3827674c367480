"""The API's project list pages in Django's cache, under a version that every writer of
projects, workspaces and memberships renews on commit (docs/api.md, `GET /projects`):
renewing it leaves every stored page unreachable, so no writer needs to know which pages
it touched. Bulk writers (`bulk_create`, `.update()`) call project_list_version_renew().
"""

import uuid

from django.core.cache import caches
from django.db import transaction

VERSION_KEY = "projects:list:version"
CACHE = "pages"  # settings.CACHES: one cache every process shares


def project_list_version_renew(**signal) -> None:
    """A new version once the current transaction commits (at once outside one). Also the
    receiver of the signals of a project, workspace or membership change (apps.py)."""
    transaction.on_commit(lambda: caches[CACHE].set(VERSION_KEY, uuid.uuid4().hex, None))


def project_page_cached(*, user_id, params: dict, build):
    """The page `build()` returns, from the cache when this version has it."""
    cache = caches[CACHE]
    version = cache.get(VERSION_KEY)
    if version is None:
        # No version yet (or the cache was cleared): start one; pages read before any
        # version existed were never stored.
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY)
    key = "projects:list:" + ":".join(
        [version, str(user_id), *(f"{k}={params[k]}" for k in sorted(params))]
    )
    return cache.get_or_set(key, build)
