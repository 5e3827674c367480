"""/api/docs serves Swagger UI from the project's own static files (it loads offline),
staff only; the schema is readable with any valid API key and documents how to send one."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.api_support import ApiCaller
from tests.factories import StaffFactory, UserFactory, api_key_for

pytestmark = pytest.mark.django_db


def staff_client():
    client = Client()
    client.force_login(StaffFactory(username="docs-staff"))
    return client


def test_the_docs_page_loads_swagger_from_our_static_files_not_a_cdn():
    response = staff_client().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(src.endswith("ninja/swagger-ui-bundle.js") for src in sources), sources
    assert any(src.endswith("ninja/swagger-ui.css") for src in sources), sources
    assert not [src for src in sources if src.startswith(("http:", "https:", "//"))], sources
    assert "/api/v1/openapi.json" in page


@pytest.mark.parametrize(
    "asset", ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"]
)
def test_the_swagger_assets_are_static_files_of_the_project(asset):
    assert finders.find(asset), asset


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_docs_page_is_for_staff(who):
    client = Client()
    if who == "member":
        client.force_login(UserFactory(username="not-staff"))
    response = client.get("/api/docs")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_any_valid_api_key_reads_the_schema():
    caller = ApiCaller(api_key_for(UserFactory(username="dave")))
    response = caller.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/projects" in response.json()["paths"]


def test_a_logged_in_member_reads_the_schema():
    client = Client()
    client.force_login(UserFactory(username="erin"))
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer shk_not-a-real-key"])
def test_without_a_valid_key_the_schema_is_a_json_401(authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/api/v1/openapi.json", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required.", "code": "unauthenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_schema_documents_the_api_key_and_every_operation_requires_it():
    schema = ApiCaller(api_key_for(UserFactory(username="frank"))).get("/api/v1/openapi.json")
    schema = schema.json()
    bearer = schema["components"]["securitySchemes"]["ApiKeyBearer"]
    assert bearer["type"] == "http" and bearer["scheme"] == "bearer"
    assert "Authorization: Bearer" in bearer["description"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"ApiKeyBearer": []} in operation["security"], (method, path)
            assert "401" in operation["responses"] or 401 in operation["responses"]
