"""Workspace isolation over every endpoint: member, non-member, staff, revoked key, no key.

One row per operation. To cover a new endpoint, add an `Endpoint` to ENDPOINTS: the path
and body are templates filled from `api_world.ids` (a row of workspace "alpha", whose
only member is the `member` caller).

scope  "row"        member and staff get `ok`; the non-member gets 404 (never 403)
       "list"       everyone authenticated gets 200; `marker`'s id is listed for member and
                    staff and absent for the non-member (or, for answers that are not an
                    `items` page, `visible(body, ids)` says whether alpha's row is in it)
       "staff_row"  staff gets `ok`; member and non-member get 404 (migration runs)
       "staff_list" 200 for all; `marker` listed for staff only
       "staff_write" staff gets `ok`; the member 403 (sees the row, may not change it this
                    way); the non-member 404 (deleting a session)
A revoked key and no key get 401 everywhere. Every 404 names what was asked for, in words
taken from the request only ("Session 'x' not found."), so it reads the same whether the
row is missing or of another workspace.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.api_support import item_ids

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: dict | None = None
    ok: int = 200
    scope: str = "row"
    marker: str | None = None
    visible: Callable[[dict, dict], bool] | None = None

    def __str__(self):
        return f"{self.method} {self.path}"


def grouped_by(group: str) -> Callable[[dict, dict], bool]:
    """For GET /usage: whether alpha's `<group>_id` is one of the answer's groups."""
    return lambda body, ids: ids[f"{group}_id"] in [item[group] for item in body["items"]]


ENDPOINTS = [
    # Projects
    Endpoint("GET", "/api/v1/projects", scope="list", marker="project_id"),
    Endpoint("GET", "/api/v1/projects?workspace_id={workspace_id}"),  # as GET /sessions
    Endpoint("POST", "/api/v1/projects", {"workspace_id": "{workspace_id}", "intent": "x"},
             ok=201),
    Endpoint("GET", "/api/v1/projects/{project_id}"),
    Endpoint("PATCH", "/api/v1/projects/{project_id}", {"title": "Renamed"}),
    Endpoint("GET", "/api/v1/projects/{project_id}/conversations"),
    Endpoint("GET", "/api/v1/projects/{project_id}/conversations/{conversation_id}/messages"),
    Endpoint("POST", "/api/v1/projects/{project_id}/conversations/{conversation_id}/messages",
             {"content": "Done."}, ok=201),
    Endpoint("GET", "/api/v1/projects/{project_id}/artifacts"),
    Endpoint("GET", "/api/v1/projects/{project_id}/versions"),
    Endpoint("GET", "/api/v1/projects/{project_id}/sessions?archived=false"),
    Endpoint("POST", "/api/v1/projects/{project_id}/chat", {"message": "Shorter, please"},
             ok=201),
    # Sessions: deprecated
    Endpoint("POST", "/api/v1/sessions", {"workspace_id": "{workspace_id}", "title": "t"},
             ok=201),
    Endpoint("GET", "/api/v1/sessions", scope="list", marker="session_id"),
    Endpoint("GET", "/api/v1/sessions?workspace_id={workspace_id}"),
    Endpoint("GET", "/api/v1/sessions/{session_id}/messages"),
    # Sessions: current
    Endpoint("GET", "/api/v1/sessions/{session_id}"),
    Endpoint("GET", "/api/v1/sessions/alpha-sess"),  # an id prefix
    Endpoint("GET", "/api/v1/sessions/{session_id}/transcript"),
    Endpoint("GET", "/api/v1/sessions/{session_id}/usage"),
    Endpoint("GET", "/api/v1/usage?group_by=session", scope="list",
             visible=grouped_by("session")),
    Endpoint("GET", "/api/v1/usage?group_by=workspace", scope="list",
             visible=grouped_by("workspace")),
    Endpoint("POST", "/api/v1/sessions/{session_id}/archive"),
    Endpoint("PATCH", "/api/v1/sessions/{session_id}", {"title": "Renamed"}),
    Endpoint("PATCH", "/api/v1/sessions/{session_id}", {"workstream_id": "{workstream_id}"}),
    Endpoint("DELETE", "/api/v1/sessions/{session_id}?dry_run=true", scope="staff_write"),
    Endpoint("DELETE", "/api/v1/sessions/{session_id}", scope="staff_write"),
    Endpoint("GET", "/api/v1/issues/{issue_id}/sessions?active=true", scope="list",
             marker="session_id"),
    Endpoint("GET", "/api/v1/workstreams", scope="list", marker="workstream_id"),
    Endpoint("GET", "/api/v1/workstreams?workspace_id={workspace_id}"),
    Endpoint("POST", "/api/v1/workstreams", {"id": "new-stream", "workspace_id": "{workspace_id}"},
             ok=201),
    Endpoint("POST", "/api/v1/sessions/{session_id}/migrate-to-project?dry_run=true"),
    Endpoint("POST", "/api/v1/sessions/{session_id}/migrate-to-project"),
    # Tasks (migration_app/api/tasks.py): the world's session points at task md#7
    Endpoint("GET", "/api/v1/tasks/md%237/sessions", scope="list", marker="session_id"),
    Endpoint("POST", "/api/v1/tasks/reassociate",
             {"old_task_id": "md#7", "new_task_id": "mt#7", "dry_run": True}, scope="list",
             visible=lambda body, ids: body["sessions_found"] == 1),
    # Search: alpha's message says "hello"
    Endpoint("GET", "/api/v1/search?q=hello", scope="list", marker="message_id"),
    # Migration runs (staff only)
    Endpoint("GET", "/api/v1/migrations", scope="staff_list", marker="run_id"),
    Endpoint("GET", "/api/v1/migrations/{run_id}", scope="staff_row"),
    Endpoint("POST", "/api/v1/migrations/{run_id}/undo", scope="staff_row"),
]  # fmt: skip

ROLES = ["member", "nonmember", "staff", "revoked", "anonymous"]


def fill(template, ids):
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    return template


def expected(endpoint: Endpoint, role: str) -> tuple[int, bool | None]:
    """(status, whether the marker row is listed) for one role."""
    if role in ("revoked", "anonymous"):
        return 401, None
    if endpoint.scope == "staff_write":
        return {"staff": endpoint.ok, "member": 403, "nonmember": 404}[role], None
    staff_only = endpoint.scope.startswith("staff")
    sees = role == "staff" or (role == "member" and not staff_only)
    if endpoint.scope.endswith("list"):
        return 200, sees
    return (endpoint.ok if sees else 404), None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_isolation(api_world, endpoint, role):
    caller = api_world.callers[role]
    path = fill(endpoint.path, api_world.ids)
    response = caller.request(endpoint.method, path, fill(endpoint.body, api_world.ids))

    status, listed = expected(endpoint, role)
    assert response.status_code == status, response.content
    body = response.json()
    if status >= 400:
        assert set(body) >= {"detail", "code"}
        # No hint that the row exists elsewhere: the same body as for a missing row.
        if status == 404:
            assert_names_only_what_was_asked(body, path, endpoint.body, api_world.ids)
    if listed is not None:
        if endpoint.visible is not None:
            assert endpoint.visible(body, api_world.ids) is listed
        else:
            assert (api_world.ids[endpoint.marker] in item_ids(response)) is listed


NOT_FOUND = re.compile(r"^(?P<noun>[A-Z][a-z ]+) '(?P<key>[^']*)' not found\.$")


def assert_names_only_what_was_asked(body, path, request_body, ids):
    """The detail names one id of the request (path or body), as it would for a missing row."""
    assert body["code"] == "not_found"
    match = NOT_FOUND.match(body["detail"])
    assert match, body
    request_text = path + json.dumps(fill(request_body, ids))
    assert match["key"] and match["key"] in request_text, body


def test_every_operation_is_in_the_matrix():
    """A new endpoint without a matrix row fails here."""
    from config.api import api

    schema = api.get_openapi_schema()
    operations = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    covered = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    # Path templates in the matrix use the schema's placeholder names, except literal ids.
    literal = {"alpha-sess": "{session_id}", "md%237": "{task_id}"}
    for text, placeholder in literal.items():
        covered = {(m, p.replace(text, placeholder)) for m, p in covered}
    assert operations <= covered, sorted(operations - covered)


def test_schema_names_are_unique_across_apps():
    """OpenAPI components are keyed by class name: two `ProjectOut`s silently become one."""
    from pydantic import BaseModel

    import config.api  # noqa: F401  (imports every router and its schemas)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {
        (cls.__name__, f"{cls.__module__}.{cls.__qualname__}")
        for cls in subclasses(BaseModel)
        if cls.__module__.split(".")[0]
        in {"config", "projects_app", "sessions_app", "migration_app"}
    }
    names = [name for name, _ in ours]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, [place for name, place in sorted(ours) if name in duplicates]
