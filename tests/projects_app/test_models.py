import pytest
from django.db import IntegrityError, transaction

from projects_app.models import Project
from tests.factories import ArtifactFactory, ProjectFactory, ProjectVersionFactory

pytestmark = pytest.mark.django_db


def test_new_projects_get_uuid_text_ids_and_an_empty_context():
    project = ProjectFactory()
    assert len(project.id) == 36
    assert project.context == {"decisions": [], "failures": [], "key_findings": [], "tags": []}
    assert project.status == Project.Status.DRAFT


def test_legacy_project_ids_are_kept_verbatim():
    assert ProjectFactory(id="my.app_1").pk == "my.app_1"


def test_only_one_latest_artifact_per_lineage():
    first = ArtifactFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArtifactFactory(lineage=first.lineage, version=2, is_latest=True)


def test_an_edit_is_a_new_row_in_the_same_lineage():
    first = ArtifactFactory()
    first.is_latest = False
    first.save()
    second = ArtifactFactory(lineage=first.lineage, version=2, parent_version=first)
    assert second.is_latest and not first.is_latest


def test_version_numbers_are_unique_per_project():
    version = ProjectVersionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectVersionFactory(project=version.project, version_number=version.version_number)
