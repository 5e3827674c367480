"""The "Re-associate task" admin action: form, preview, confirm, run page, permissions."""

import pytest
from django.contrib.auth.models import Permission

from migration_app.models import MigrationRun
from sessions_app.models import Session
from tests.factories import SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sessions_app/session/"


def post(client, ids, follow=False, olds=("md#123",), **data):
    """The action's POST; `olds` are the old task ids the form showed, by position."""
    fields = {f"old_{i}": old for i, old in enumerate(olds)}
    return client.post(
        CHANGELIST,
        {"action": "reassociate_task", "_selected_action": ids, **fields, **data},
        follow=follow,
    )


@pytest.fixture
def task_sessions():
    SessionFactory(id="plain", task_id="123")
    SessionFactory(id="qualified", task_id="md#123")
    SessionFactory(id="unselected", task_id="#123")
    SessionFactory(id="other", task_id="mt#9")


def test_the_action_is_on_the_changelist(staff_client):
    response = staff_client.get(CHANGELIST)
    assert b'value="reassociate_task"' in response.content
    assert b"Re-associate task" in response.content


def test_one_shared_task_gives_one_field(staff_client, task_sessions):
    response = post(staff_client, ["plain", "qualified"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "They all point at task <strong>md#123</strong>" in html
    assert 'name="new_0"' in html and 'name="new_1"' not in html


def test_several_tasks_give_a_mapping(staff_client, task_sessions):
    html = post(staff_client, ["plain", "other"]).content.decode()
    assert "They point at 2 tasks" in html
    assert "<code>md#123</code>" in html and "<code>mt#9</code>" in html
    assert 'name="new_0"' in html and 'name="new_1"' in html


def test_an_invalid_new_id_is_shown_back_on_the_form(staff_client, task_sessions):
    response = post(staff_client, ["plain"], new_0="MT#1", preview="Preview")
    html = response.content.decode()
    assert "Invalid task ID format" in html and 'value="MT#1"' in html
    assert not MigrationRun.objects.exists()


def test_preview_lists_every_session_of_the_task_and_writes_nothing(staff_client, task_sessions):
    response = post(staff_client, ["plain"], new_0="mt#123", preview="Preview")
    html = response.content.decode()
    assert "md#123 &rarr; mt#123" in html
    assert "found 3: 2 stored plain, 1 stored qualified" in html
    assert html.count('class="preview-row"') == 3
    assert "<strong>3</strong> sessions will change" in html
    assert Session.objects.get(pk="plain").task_id == "123"
    assert not MigrationRun.objects.exists()


def test_confirm_runs_and_redirects_to_the_run_page(staff_client, task_sessions):
    response = post(staff_client, ["plain"], new_0="mt#123", confirm="Yes")
    run = MigrationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/migration_app/migrationrun/{run.pk}/change/"
    assert (run.kind, run.origin, run.actor, run.status) == (
        "reassociate_task", "admin", "staff", "succeeded",
    )  # fmt: skip
    assert run.counts["sessions_updated"] == 3
    assert set(Session.objects.filter(pk__in=["plain", "qualified", "unselected"])
               .values_list("task_id", flat=True)) == {"mt#123"}  # fmt: skip
    page = staff_client.get(response["Location"]).content.decode()
    assert "sessions_updated" in page and "123 -&gt; mt#123" in page


def test_only_selected_sessions(staff_client, task_sessions):
    post(staff_client, ["plain", "qualified"], new_0="mt#123", only_selected="on",
         confirm="Yes")  # fmt: skip
    assert Session.objects.get(pk="unselected").task_id == "#123"
    assert Session.objects.get(pk="plain").task_id == "mt#123"


def test_a_mapping_is_one_run(staff_client, task_sessions):
    post(staff_client, ["plain", "other"], olds=["md#123", "mt#9"], new_0="gh#5", new_1="gh#9",
         confirm="Yes")  # fmt: skip
    run = MigrationRun.objects.get()
    assert run.params["mapping"] == [["md#123", "gh#5"], ["mt#9", "gh#9"]]
    assert Session.objects.get(pk="other").task_id == "gh#9"
    assert Session.objects.get(pk="qualified").task_id == "gh#5"


def test_sessions_without_task_ids_are_refused_with_a_message(staff_client):
    SessionFactory(id="none", task_id="")
    response = post(staff_client, ["none"], follow=True)
    assert b"None of the selected sessions has a task id" in response.content


def test_staff_without_change_permission_cannot_run_it(client, task_sessions):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_session", content_type__app_label="sessions_app")
    )
    client.force_login(viewer)
    # The action is not offered, and a forged POST changes nothing.
    assert b'value="reassociate_task"' not in client.get(CHANGELIST).content
    post(client, ["plain"], new_0="mt#123", confirm="Yes")
    assert Session.objects.get(pk="plain").task_id == "123"
    assert not MigrationRun.objects.exists()


def test_select_across_the_filtered_list_keeps_no_id_list(staff_client, task_sessions):
    url = f"{CHANGELIST}?source__exact=native"
    data = {"action": "reassociate_task", "_selected_action": ["plain"], "select_across": "1",
            "old_0": "md#123", "old_1": "mt#9"}  # fmt: skip
    html = staff_client.post(url, data).content.decode()
    assert 'name="select_across" value="1"' in html
    assert 'value="qualified"' not in html  # the page does not list every selected id
    assert "They point at 2 tasks" in html  # md#123 and mt#9: the whole filtered list
    staff_client.post(url, {**data, "_selected_action": [""], "new_0": "gh#1", "new_1": "gh#9",
                            "confirm": "Yes"})  # fmt: skip
    assert Session.objects.get(pk="other").task_id == "gh#9"
    assert Session.objects.get(pk="qualified").task_id == "gh#1"


def test_a_mapping_drawn_for_other_tasks_is_asked_again(staff_client, task_sessions):
    # The form showed md#123 at position 0; meanwhile the selection's task became mt#9.
    Session.objects.filter(pk="plain").update(task_id="mt#9")
    response = post(staff_client, ["plain"], new_0="gh#1", confirm="Yes", follow=True)
    assert b"The tasks of the selection changed meanwhile" in response.content
    assert b'name="old_0" value="mt#9"' in response.content
    assert not MigrationRun.objects.exists()
    assert Session.objects.get(pk="plain").task_id == "mt#9"
