"""Every model's admin changelist and change form open for a logged-in staff user."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    ArtifactFactory,
    ConversationFactory,
    LegacyImportFactory,
    MessageFactory,
    MigrationItemFactory,
    ProjectFactory,
    ProjectVersionFactory,
    SessionFactory,
    StaffFactory,
    WorkspaceFactory,
    WorkstreamFactory,
)

pytestmark = pytest.mark.django_db


def api_key(user):
    from projects_app.services import api_key_create

    return api_key_create(user=user, name="ci")[0]


FACTORIES = {
    "workspace": lambda: WorkspaceFactory(),
    "project": lambda: ProjectFactory(),
    "conversation": lambda: ConversationFactory(),
    "message": lambda: MessageFactory(),
    "artifact": lambda: ArtifactFactory(project=ProjectFactory()),
    "projectversion": lambda: ProjectVersionFactory(),
    "apikey": lambda: api_key(StaffFactory(username="keyholder")),
    "workstream": lambda: WorkstreamFactory(),
    "session": lambda: SessionFactory(project=ProjectFactory()),
    "migrationrun": lambda: MigrationItemFactory().run,
    "migrationitem": lambda: MigrationItemFactory(),
    "legacyimport": lambda: LegacyImportFactory(),
}


def test_every_registered_model_has_a_factory_here():
    registered = {model._meta.model_name for model in admin.site._registry}
    ours = {m for m in registered if m not in {"user", "group", "dbtaskresult"}}
    assert ours == set(FACTORIES)


@pytest.mark.parametrize("model_name", sorted(FACTORIES))
def test_changelist_and_change_form_open(staff_client, model_name):
    obj = FACTORIES[model_name]()
    opts = obj._meta
    changelist = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    change = staff_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert change.status_code == 200
    assert str(obj.pk) in change.content.decode() or str(obj) in change.content.decode()


@pytest.mark.parametrize("model_name", ["migrationrun", "migrationitem"])
def test_the_journal_is_read_only(staff_client, model_name):
    obj = FACTORIES[model_name]()
    opts = obj._meta
    add = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code == 403
    page = staff_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert 'name="_save"' not in page.content.decode()


def test_admin_requires_login(client):
    response = client.get(reverse("admin:sessions_app_session_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
