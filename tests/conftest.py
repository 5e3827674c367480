import pytest

from tests.factories import StaffFactory


@pytest.fixture
def staff_user(db):
    return StaffFactory(username="staff")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def data_dir(settings, tmp_path):
    """A fresh SESSIONHUB_DATA_DIR for one test."""
    settings.SESSIONHUB_DATA_DIR = tmp_path / "data"
    settings.SESSIONHUB_DATA_DIR.mkdir()
    return settings.SESSIONHUB_DATA_DIR
