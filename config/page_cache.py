"""Rendered API responses kept while the rows under them are unchanged.

A list page that many clients poll (the project list) is read far more often than its
rows change, and reading and rendering the rows costs several times what the rest of
the request does. `responses_kept_while_unchanged` keeps a view's 200 responses, per
process, under a *change token* read from the database at the start of every request:
the token changes in the same transaction as the rows (database triggers, see
projects_app.models.ChangeToken), so a kept response is served only while the database
still holds exactly what it was rendered from. Reading the token before the rows
matters: a response rendered from rows newer than its token is stored under a token
that is already outdated, and is never served.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from pydantic import BaseModel

# What an entry costs besides its body (key, tuple, dict slot), counted against the budget
# so that many tiny responses cannot hold much more memory than the budget says.
ENTRY_OVERHEAD_BYTES = 512


class KeptResponses:
    """Bodies of one view's responses under one change token, at most `max_bytes` in all
    (each body plus ENTRY_OVERHEAD_BYTES).

    A new token drops everything kept under the old one; beyond the budget the least
    recently used bodies go first.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._token: str | None = None
        self._responses: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0

    def get(self, token: str, key: Hashable) -> tuple[bytes, str] | None:
        with self._lock:
            if token != self._token:
                return None
            kept = self._responses.get(key)
            if kept is not None:
                self._responses.move_to_end(key)
            return kept

    def put(self, token: str, key: Hashable, body: bytes, content_type: str, max_bytes: int):
        size = len(body) + ENTRY_OVERHEAD_BYTES
        if size > max_bytes:
            return
        with self._lock:
            if token != self._token:
                self._token = token
                self._responses.clear()
                self._bytes = 0
            previous = self._responses.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[0]) + ENTRY_OVERHEAD_BYTES
            self._responses[key] = (body, content_type)
            self._bytes += size
            while self._bytes > max_bytes:
                _, (dropped, _) = self._responses.popitem(last=False)
                self._bytes -= len(dropped) + ENTRY_OVERHEAD_BYTES

    def __len__(self) -> int:
        return len(self._responses)


def _arguments_key(arguments: dict[str, Any]) -> Hashable | None:
    """The view's parsed arguments as a key; None when one is not hashable.

    Parsed, not the raw query string: parameters the view ignores (or writes differently,
    `?limit=050`) must not make new entries.
    """
    items = []
    for name, value in sorted(arguments.items()):
        if isinstance(value, BaseModel):  # e.g. ninja's pagination input
            value = tuple(sorted(value.model_dump().items()))
        try:
            hash(value)
        except TypeError:
            return None
        items.append((name, value))
    return tuple(items)


def responses_kept_while_unchanged(
    *,
    token: Callable[[], str | None],
    viewer: Callable[[HttpRequest], Hashable | None],
):
    """Decorate a GET view: its 200 responses are kept and served again while `token()`
    returns the same value, for the same viewer and the same parsed arguments.

    `token()` returns None where nothing may be kept (no triggers maintain a token).
    `viewer(request)` must name everything about the caller that the response depends on
    (e.g. their workspace scope); None means this request is not kept. The budget per
    view and process is settings.API_PAGE_CACHE_BYTES (0 turns keeping off).
    """

    def decorator(view):
        kept = KeptResponses()

        @wraps(view)
        def kept_view(request, **kwargs):
            max_bytes = settings.API_PAGE_CACHE_BYTES
            current = token() if max_bytes > 0 else None
            request_key = None
            if current is not None:
                who, arguments = viewer(request), _arguments_key(kwargs)
                if who is not None and arguments is not None:
                    request_key = (who, arguments)
            if request_key is not None and (hit := kept.get(current, request_key)):
                body, content_type = hit
                return HttpResponse(body, content_type=content_type)
            response = view(request, **kwargs)
            if (
                request_key is not None
                and type(response) is HttpResponse
                and response.status_code == 200
            ):
                content_type = response["Content-Type"]
                kept.put(current, request_key, response.content, content_type, max_bytes)
            return response

        kept_view.kept = kept  # what this process keeps (tests read it)
        return kept_view

    return decorator
