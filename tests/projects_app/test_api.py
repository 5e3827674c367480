"""The project-first endpoints: one test per endpoint and per error code (chat and edits:
test_api_chat.py)."""

import pytest

from projects_app.models import Artifact, Message, Project, ProjectVersion
from tests.api_support import ApiCaller, list_query_counts
from tests.api_support import project_reply_url as reply_url
from tests.api_support import project_url as url
from tests.factories import (
    ArtifactFactory,
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    ProjectVersionFactory,
)

pytestmark = pytest.mark.django_db


# --- POST /projects --------------------------------------------------------------------


def test_create_project(api_world):
    response = api_world.member.post(
        "/api/v1/projects",
        {
            "workspace_id": api_world.ids["workspace_id"],
            "intent": "Analyze competitor market share\nwith sources",
            "project_type": "research",
        },
    )
    assert response.status_code == 201
    body = response.json()
    project = Project.objects.get(pk=body["id"])
    assert project.workspace == api_world.objects["alpha"]
    assert project.project_type == "research"
    assert project.status == "draft"
    assert body["title"] == "Analyze competitor market share"
    assert project.versions.get().change_summary == "Created"
    assert project.versions.get().changed_by == "alice"


def test_create_project_with_title_and_default_type(api_world):
    body = api_world.member.post(
        "/api/v1/projects",
        {"workspace_id": api_world.ids["workspace_id"], "intent": "x", "title": "Mine"},
    ).json()
    assert (body["title"], body["project_type"]) == ("Mine", "quick_task")


def test_create_project_blank_intent_is_400(api_world):
    response = api_world.member.post(
        "/api/v1/projects", {"workspace_id": api_world.ids["workspace_id"], "intent": "   "}
    )
    assert response.status_code == 400
    assert "intent" in response.json()["detail"]


def test_create_project_in_foreign_workspace_is_404(api_world):
    response = api_world.member.post(
        "/api/v1/projects", {"workspace_id": api_world.ids["other_workspace_id"], "intent": "x"}
    )
    assert response.status_code == 404
    assert not Project.objects.filter(workspace=api_world.objects["beta"]).exists()


def test_create_project_unknown_type_is_422(api_world):
    response = api_world.member.post(
        "/api/v1/projects",
        {"workspace_id": api_world.ids["workspace_id"], "intent": "x", "project_type": "poem"},
    )
    assert response.status_code == 422


# --- GET /projects ---------------------------------------------------------------------


def test_list_projects_filters_by_workspace_and_status(api_world):
    alpha = api_world.objects["alpha"]
    running = ProjectFactory(workspace=alpha, status="in_progress")
    ProjectFactory(workspace=api_world.objects["beta"], status="in_progress")
    body = api_world.staff.get(
        f"/api/v1/projects?workspace_id={alpha.pk}&status=in_progress"
    ).json()
    assert [item["id"] for item in body["items"]] == [running.pk]
    assert body["count"] == 1


def test_list_projects_newest_first(api_world):
    newer = ProjectFactory(workspace=api_world.objects["alpha"])
    ids = [item["id"] for item in api_world.member.get("/api/v1/projects").json()["items"]]
    assert ids == [newer.pk, api_world.ids["project_id"]]


def test_list_projects_bad_status_is_422(api_world):
    assert api_world.member.get("/api/v1/projects?status=sleeping").status_code == 422


# --- GET / PATCH /projects/{id} --------------------------------------------------------


def test_get_project(api_world):
    body = api_world.member.get(url(api_world)).json()
    assert body["id"] == api_world.ids["project_id"]
    assert body["intent"] == "Analyze competitor market share"
    assert body["context"] == {"decisions": [], "failures": [], "key_findings": [], "tags": []}


def test_get_project_missing_is_404(api_world):
    assert api_world.member.get("/api/v1/projects/nope").status_code == 404


def test_patch_changes_only_sent_fields_and_records_a_version(api_world):
    project = api_world.objects["project"]
    response = api_world.member.patch(url(api_world), {"status": "archived", "title": "Done"})
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.status, project.title) == ("archived", "Done")
    assert project.intent == "Analyze competitor market share"  # not sent: unchanged
    assert project.archived_at is not None
    version = project.versions.get()
    assert version.change_type == "manual"
    assert version.snapshot["title"] == "Done"
    assert version.change_summary == "Changed status, title"


def test_patch_config_null_clears_and_omitted_keeps(api_world):
    project = api_world.objects["project"]
    project.config = {"agent": "claude-code"}
    project.save()
    api_world.member.patch(url(api_world), {"title": "T"})
    project.refresh_from_db()
    assert project.config == {"agent": "claude-code"}
    api_world.member.patch(url(api_world), {"config": None})
    project.refresh_from_db()
    assert project.config is None


def test_patch_null_for_non_nullable_field_is_422(api_world):
    assert api_world.member.patch(url(api_world), {"title": None}).status_code == 422


def test_patch_without_change_records_no_version(api_world):
    title = api_world.objects["project"].title
    assert api_world.member.patch(url(api_world), {"title": title}).status_code == 200
    assert not ProjectVersion.objects.exists()


def test_patch_unarchive_clears_archived_at(api_world):
    api_world.member.patch(url(api_world), {"status": "archived"})
    api_world.member.patch(url(api_world), {"status": "in_progress"})
    assert Project.objects.get(pk=api_world.ids["project_id"]).archived_at is None
    assert ProjectVersion.objects.count() == 2


def test_patch_missing_is_404(api_world):
    assert api_world.member.patch("/api/v1/projects/nope", {"title": "x"}).status_code == 404


def test_patch_wrong_type_is_422(api_world):
    assert api_world.member.patch(url(api_world), {"context": "text"}).status_code == 422


# --- Conversations, messages, artifacts, versions --------------------------------------


def test_list_conversations(api_world):
    ConversationFactory(workspace=api_world.objects["alpha"])  # no project: not listed
    body = api_world.member.get(url(api_world, "/conversations")).json()
    assert [c["id"] for c in body["items"]] == [api_world.ids["conversation_id"]]


def test_list_conversations_missing_project_is_404(api_world):
    assert api_world.member.get("/api/v1/projects/nope/conversations").status_code == 404


def test_list_messages_in_order(api_world):
    conversation = api_world.objects["conversation"]
    second = MessageFactory(conversation=conversation, role="assistant", content="hi")
    body = api_world.member.get(url(api_world, f"/conversations/{conversation.pk}/messages")).json()
    assert [m["id"] for m in body["items"]] == [api_world.ids["message_id"], str(second.pk)]
    assert body["items"][1]["role"] == "assistant"


def test_list_messages_of_conversation_of_another_project_is_404(api_world):
    other = ConversationFactory(
        workspace=api_world.objects["alpha"],
        project=ProjectFactory(workspace=api_world.objects["alpha"]),
    )
    response = api_world.member.get(url(api_world, f"/conversations/{other.pk}/messages"))
    assert response.status_code == 404


def test_list_messages_bad_uuid_is_422(api_world):
    response = api_world.member.get(url(api_world, "/conversations/nope/messages"))
    assert response.status_code == 422


def test_list_artifacts_latest_by_default_and_history_on_request(api_world):
    project = api_world.objects["project"]
    old = api_world.objects["artifact"]
    Artifact.objects.filter(pk=old.pk).update(is_latest=False)
    new = ArtifactFactory(
        project=project, lineage=old.lineage, name=old.name, version=2, parent_version=old
    )
    latest = api_world.member.get(url(api_world, "/artifacts")).json()
    assert [a["id"] for a in latest["items"]] == [str(new.pk)]
    history = api_world.member.get(
        url(api_world, f"/artifacts?all_versions=true&lineage={old.lineage}")
    ).json()
    assert [a["version"] for a in history["items"]] == [2, 1]
    assert history["items"][0]["parent_version_id"] == str(old.pk)


def test_list_artifacts_missing_project_is_404(api_world):
    assert api_world.member.get("/api/v1/projects/nope/artifacts").status_code == 404


def test_list_versions_newest_first(api_world):
    project = api_world.objects["project"]
    ProjectVersionFactory(project=project, version_number=1)
    ProjectVersionFactory(project=project, version_number=2)
    body = api_world.member.get(url(api_world, "/versions")).json()
    assert [v["version_number"] for v in body["items"]] == [2, 1]


def test_list_versions_missing_project_is_404(api_world):
    assert api_world.member.get("/api/v1/projects/nope/versions").status_code == 404


# --- Query counts: constant in the page size -------------------------------------------


@pytest.mark.parametrize(
    "suffix",
    ["", "/conversations", "/messages", "/artifacts", "/artifacts?all_versions=true", "/versions"],
)
def test_list_query_count_does_not_grow_with_page_size(api_world, suffix):
    alpha, project = api_world.objects["alpha"], api_world.objects["project"]
    conversation = api_world.objects["conversation"]
    for n in range(30):
        ProjectFactory(workspace=alpha)
        ConversationFactory(workspace=alpha, project=project)
        MessageFactory(conversation=conversation)
        ArtifactFactory(project=project)
        ProjectVersionFactory(project=project, version_number=n + 1)
    if suffix == "":
        path = "/api/v1/projects"
    elif suffix == "/messages":
        path = url(api_world, f"/conversations/{conversation.pk}/messages")
    else:
        path = url(api_world, suffix)
    small, large = list_query_counts(api_world.member, path)
    assert small == large
    assert large <= 5  # key, project, (conversation,) count, page


# --- Concurrency: two agents edit the same version at once -----------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_version_one_wins(api_world):
    """Both edits name version 1; exactly one creates version 2, the other gets 409."""
    import threading

    from django.db import connections

    old = api_world.objects["artifact"]
    barrier = threading.Barrier(2)
    statuses = []

    def edit(replacement):
        caller = ApiCaller(api_world.member.secret)
        barrier.wait()
        try:
            response = caller.post(
                reply_url(api_world),
                {
                    "content": replacement,
                    "edit": {
                        "artifact_id": str(old.pk),
                        "selection_range": {"start": 0, "end": 6},
                        "replacement": replacement,
                    },
                },
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(text,)) for text in ("Share", "Part")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    versions = Artifact.objects.filter(lineage=old.lineage)
    assert versions.count() == 2
    assert versions.filter(is_latest=True).get().version == 2
    assert Message.objects.filter(conversation=api_world.objects["conversation"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_number_versions_densely(api_world):
    import threading

    from django.db import connections

    barrier = threading.Barrier(4)
    statuses = []

    def patch(title):
        caller = ApiCaller(api_world.member.secret)
        barrier.wait()
        try:
            statuses.append(caller.patch(url(api_world), {"title": title}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=(f"Title {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    numbers = sorted(ProjectVersion.objects.values_list("version_number", flat=True))
    assert numbers == [1, 2, 3, 4]
    final = Project.objects.get(pk=api_world.ids["project_id"]).title
    assert ProjectVersion.objects.get(version_number=4).snapshot["title"] == final


# --- The list page: exactly ProjectOut's rendering of the ORM rows -------------------------


def _schema_page_bytes(*, user, limit=50, offset=0, **filters) -> bytes:
    """The page as ProjectOut renders ORM instances (what the list answered before)."""
    import pydantic_core

    from config.api import api
    from projects_app.schemas import ProjectOut
    from projects_app.selectors import project_list

    projects = project_list(user=user, **filters)
    items = [ProjectOut.model_validate(p).model_dump() for p in projects[offset : offset + limit]]
    data = {"items": items, "count": projects.count()}
    return pydantic_core.to_json(data, fallback=api.renderer._fallback)


@pytest.mark.parametrize(
    "query, filters",
    [
        ("", {}),
        ("?limit=2&offset=1", {"limit": 2, "offset": 1}),
        ("?status=completed", {"status": "completed"}),
        ("?limit=500&offset=3", {"limit": 500, "offset": 3}),
    ],
)
def test_list_projects_body_is_byte_identical_to_the_schema_output(api_world, query, filters):
    import datetime as dt

    from tests.factories import BASE_TIME

    alpha = Project.objects.get(pk=api_world.ids["project_id"]).workspace
    for n in range(6):
        ProjectFactory(
            workspace=alpha,
            title=f"Projekt «{n}» ✓",
            status="completed" if n % 2 else "draft",
            context={"tags": ["ü", n], "nested": {"x": [1.5, None, True]}},
            settings={"emoji": "🙂"} if n else {},
            config={"n": n} if n % 3 else None,
            registered_at=BASE_TIME + dt.timedelta(microseconds=n) if n % 2 else None,
            archived_at=BASE_TIME + dt.timedelta(days=n) if n == 5 else None,
            path=f"/srv/p{n}",
        )
    alice = api_world.objects["alice"]
    response = api_world.member.get(f"/api/v1/projects{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == _schema_page_bytes(user=alice, **filters)
    if not query:  # ISO 8601 with zone, microseconds kept
        assert b'"registered_at":"2026-01-01T00:00:00.000001Z"' in response.content


def test_list_projects_for_staff_is_byte_identical_too(api_world):
    root = api_world.objects["root"]
    response = api_world.staff.get(f"/api/v1/projects?workspace_id={api_world.ids['workspace_id']}")
    expected = _schema_page_bytes(user=root, workspace_id=api_world.ids["workspace_id"])
    assert response.content == expected


def test_list_projects_is_key_page_and_count_whatever_the_page_size(api_world):
    assert list_query_counts(api_world.member, "/api/v1/projects") == [3, 3]
