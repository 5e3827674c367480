"""Property-based run over the generated OpenAPI schema: no input makes the API answer 5xx.

schemathesis generates requests for every operation from the schema ninja builds, sends
them through the real WSGI stack with a staff API key, and checks every response: not a
server error, a documented status code, a body that matches the documented schema. The
example count is small and the run derandomized, so it stays bounded and repeatable.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.api import api
from tests.factories import ProjectFactory, StaffFactory, api_key_for

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the DB connection around each request (as Django's test
    Client prevents too); the test transaction must survive it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def staff_secret(db, keep_test_connection):
    # A real row so that some generated requests reach past the 404 of an unknown id.
    ProjectFactory(id="fuzz-project")
    return api_key_for(StaffFactory(username="fuzzer"))


@pytest.mark.django_db
@schema.parametrize()
@settings(
    # Small by default to keep the suite bounded; raise it for a deeper run.
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, staff_secret):
    response = case.call(headers={"Authorization": f"Bearer {staff_secret}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
