import pytest

from tests.factories import StaffFactory, base_rows_ensure

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def base_rows(request):
    """Every database test starts with the default workspace and the scratch workstream."""
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        base_rows_ensure()


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


@pytest.fixture
def file_cache(data_dir, settings):
    """The settings' own page cache: a file cache in the data directory, shared by
    processes (the tests' settings have none)."""
    from django.core.cache import caches

    from projects_app.list_cache import CACHE

    settings.CACHES = {
        **settings.CACHES,
        CACHE: {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(data_dir / "cache")},
    }  # fmt: skip
    caches[CACHE].clear()
    yield caches[CACHE]
    caches[CACHE].clear()


# The API tests' shared world (two workspaces, callers per role) lives with its helpers.
from tests.api_support import api_world  # noqa: E402, F401
