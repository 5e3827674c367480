import pytest
from django.core.exceptions import ValidationError

from sessions_app import files
from sessions_app.services import workstream_create
from tests.factories import default_workspace


def test_paths_are_built_under_the_data_dir(data_dir):
    assert files.scratch_session_work_dir("abc") == (
        data_dir / "workstreams" / "scratch" / "sessions" / "abc" / "work"
    )
    assert files.attached_session_work_dir("blog", "abc") == (
        data_dir / "workstreams" / "blog" / "work" / "abc"
    )


@pytest.mark.parametrize("bad", ["../etc", "a/b", ".hidden", ""])
def test_no_path_is_built_from_an_invalid_name(data_dir, bad):
    with pytest.raises(ValidationError):
        files.scratch_session_work_dir(bad)
    with pytest.raises(ValidationError):
        files.workstream_dir(bad)


@pytest.mark.django_db
def test_creating_a_workstream_creates_its_directories(data_dir):
    workstream_create(workstream_id="my-blog", workspace=default_workspace())
    assert (data_dir / "workstreams" / "my-blog" / "production").is_dir()
    assert (data_dir / "workstreams" / "my-blog" / "work").is_dir()


@pytest.mark.django_db
def test_creating_a_workstream_with_an_invalid_name_creates_nothing(data_dir):
    with pytest.raises(ValidationError):
        workstream_create(workstream_id="../evil", workspace=default_workspace())
    assert not (data_dir / "workstreams").exists()
