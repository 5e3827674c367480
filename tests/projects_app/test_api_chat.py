"""Chat (select → ask) and agent replies with in-place edits (→ replace)."""

import pytest

from projects_app.models import Artifact, Conversation, Message
from tests.api_support import ARTIFACT_TEXT
from tests.api_support import project_reply_url as reply_url
from tests.api_support import project_url as url
from tests.factories import (
    ArtifactFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

# --- Chat ------------------------------------------------------------------------------


def selection(world, text="Acme 40%", start=14, end=None):
    return {
        "artifact_id": world.ids["artifact_id"],
        "selected_text": text,
        "selection_range": {"start": start, "end": start + len(text) if end is None else end},
    }


def test_chat_creates_a_conversation_when_none_is_given(api_world):
    response = api_world.member.post(url(api_world, "/chat"), {"message": "Summarise this"})
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get(pk=body["conversation_id"])
    assert conversation.project_id == api_world.ids["project_id"]
    assert conversation.workspace == api_world.objects["alpha"]
    assert conversation.message_count == 1
    assert conversation.last_message_at is not None
    message = Message.objects.get(pk=body["message_id"])
    assert (message.role, message.content) == ("user", "Summarise this")


def test_chat_appends_to_an_existing_conversation(api_world):
    conversation = api_world.objects["conversation"]
    body = api_world.member.post(
        url(api_world, "/chat"), {"message": "More", "conversation_id": str(conversation.pk)}
    ).json()
    assert body["conversation_id"] == str(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.message_count == 1  # the factory's message was not counted
    assert conversation.messages.count() == 2


def test_chat_with_matching_selection_stores_it(api_world):
    assert ARTIFACT_TEXT[14:22] == "Acme 40%"
    response = api_world.member.post(
        url(api_world, "/chat"), {"message": "Make it 42%", "selection": selection(api_world)}
    )
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message_id"])
    stored = message.extra_data["selection"]
    assert stored["selected_text"] == "Acme 40%"
    assert stored["selection_range"] == {"start": 14, "end": 22}
    assert stored["artifact_id"] == api_world.ids["artifact_id"]
    assert message.conversation.selection_context == stored
    listed = api_world.member.get(
        url(api_world, f"/conversations/{message.conversation_id}/messages")
    ).json()["items"]
    assert listed[0]["extra_data"]["selection"] == stored


def test_chat_with_stale_selection_is_409(api_world):
    artifact = api_world.objects["artifact"]
    artifact.content = ARTIFACT_TEXT.replace("Acme", "ACME")
    artifact.save()
    response = api_world.member.post(
        url(api_world, "/chat"), {"message": "Make it 42%", "selection": selection(api_world)}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert not Message.objects.filter(content="Make it 42%").exists()


def test_chat_selection_compares_with_the_latest_version(api_world):
    """Selecting from an old version's id is checked against the lineage's latest text."""
    old = api_world.objects["artifact"]
    Artifact.objects.filter(pk=old.pk).update(is_latest=False)
    ArtifactFactory(
        project=old.project, lineage=old.lineage, version=2, content="Acme 40% is wrong"
    )
    ok = api_world.member.post(
        url(api_world, "/chat"),
        {"message": "x", "selection": selection(api_world, start=0)},
    )
    assert ok.status_code == 201
    stale = api_world.member.post(
        url(api_world, "/chat"), {"message": "x", "selection": selection(api_world)}
    )
    assert stale.status_code == 409


def test_chat_selection_range_beyond_the_text_is_409(api_world):
    response = api_world.member.post(
        url(api_world, "/chat"),
        {"message": "x", "selection": selection(api_world, text="", start=500, end=500)},
    )
    assert response.status_code == 409


def test_chat_selection_of_artifact_of_another_project_is_404(api_world):
    other = ArtifactFactory(project=ProjectFactory(workspace=api_world.objects["alpha"]))
    body = {"message": "x", "selection": {**selection(api_world), "artifact_id": str(other.pk)}}
    assert api_world.member.post(url(api_world, "/chat"), body).status_code == 404


def test_chat_unknown_conversation_is_404(api_world):
    response = api_world.member.post(
        url(api_world, "/chat"),
        {"message": "x", "conversation_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert response.status_code == 404
    assert not Message.objects.filter(content="x").exists()


def test_chat_reversed_range_is_422(api_world):
    body = {"message": "x", "selection": selection(api_world, start=10, end=2)}
    assert api_world.member.post(url(api_world, "/chat"), body).status_code == 422


def test_chat_empty_message_is_422(api_world):
    assert api_world.member.post(url(api_world, "/chat"), {"message": ""}).status_code == 422


# --- Agent replies with in-place edits -------------------------------------------------


def test_reply_without_edit(api_world):
    response = api_world.member.post(reply_url(api_world), {"content": "Here you go"})
    assert response.status_code == 201
    body = response.json()
    assert body["message"]["role"] == "assistant"
    assert body["artifact"] is None
    assert api_world.objects["conversation"].messages.count() == 2


def test_select_ask_replace_loop(api_world):
    """The guide's loop: select text → ask in chat → the agent's reply replaces it."""
    chat = api_world.member.post(
        url(api_world, "/chat"), {"message": "Make it 42%", "selection": selection(api_world)}
    ).json()
    old = api_world.objects["artifact"]
    response = api_world.member.post(
        url(api_world, f"/conversations/{chat['conversation_id']}/messages"),
        {
            "content": "Updated.",
            "edit": {
                "artifact_id": str(old.pk),
                "selection_range": {"start": 14, "end": 22},
                "replacement": "Acme 42%",
            },
        },
    )
    assert response.status_code == 201, response.content
    new = response.json()["artifact"]
    assert new["content"] == "Market share: Acme 42%, Globex 25%."
    assert (new["version"], new["is_latest"], new["lineage"]) == (2, True, str(old.lineage))
    assert new["parent_version_id"] == str(old.pk)
    old.refresh_from_db()
    assert (old.is_latest, old.content) == (False, ARTIFACT_TEXT)  # history stays
    assert Artifact.objects.filter(lineage=old.lineage, is_latest=True).count() == 1
    reply = Message.objects.get(pk=response.json()["message"]["id"])
    assert reply.extra_data["edit"]["artifact_id"] == new["id"]
    # The old selection no longer matches: asking again about it is refused.
    again = api_world.member.post(
        url(api_world, "/chat"), {"message": "again", "selection": selection(api_world)}
    )
    assert again.status_code == 409


def test_edit_against_an_old_version_is_409(api_world):
    old = api_world.objects["artifact"]
    edit = {"artifact_id": str(old.pk), "selection_range": {"start": 0, "end": 6}}
    first = api_world.member.post(
        reply_url(api_world), {"content": "1", "edit": {**edit, "replacement": "Share"}}
    )
    assert first.status_code == 201
    second = api_world.member.post(
        reply_url(api_world), {"content": "2", "edit": {**edit, "replacement": "Part"}}
    )
    assert second.status_code == 409
    assert second.json()["artifact_id"] == first.json()["artifact"]["id"]
    assert Artifact.objects.filter(lineage=old.lineage).count() == 2


def test_edit_range_beyond_the_text_is_400(api_world):
    edit = {
        "artifact_id": api_world.ids["artifact_id"],
        "selection_range": {"start": 0, "end": 999},
        "replacement": "x",
    }
    response = api_world.member.post(reply_url(api_world), {"content": "x", "edit": edit})
    assert response.status_code == 400
    assert Artifact.objects.count() == 1
    assert not Message.objects.filter(content="x").exists()


def test_edit_of_artifact_of_another_project_is_404(api_world):
    other = ArtifactFactory(project=ProjectFactory(workspace=api_world.objects["alpha"]))
    edit = {"artifact_id": str(other.pk), "selection_range": {"start": 0, "end": 1}}
    response = api_world.member.post(
        reply_url(api_world), {"content": "x", "edit": {**edit, "replacement": "y"}}
    )
    assert response.status_code == 404


def test_reply_as_user_role_is_422(api_world):
    response = api_world.member.post(reply_url(api_world), {"content": "x", "role": "user"})
    assert response.status_code == 422


def test_reply_to_unknown_conversation_is_404(api_world):
    response = api_world.member.post(
        url(api_world, "/conversations/00000000-0000-4000-8000-000000000000/messages"),
        {"content": "x"},
    )
    assert response.status_code == 404
