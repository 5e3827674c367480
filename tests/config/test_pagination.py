"""page_rendered_as_is: schema-shaped dicts skip re-validation, anything else does not."""

import datetime as dt
import json
import uuid

from django.http import HttpResponse
from django.test import RequestFactory
from ninja.responses import Status
from pydantic import BaseModel

from config.pagination import page_rendered_as_is


class ThingOut(BaseModel):
    id: uuid.UUID
    at: dt.datetime
    data: object


ROW = {"id": uuid.UUID(int=1), "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "data": {"a": [1]}}


def call(result):
    view = page_rendered_as_is(ThingOut)(lambda request, **kw: result)
    return view(RequestFactory().get("/"))


def test_schema_shaped_dicts_are_rendered_as_they_are():
    response = call({"items": [ROW, ROW], "count": 7})
    assert isinstance(response, HttpResponse) and response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == {
        "items": [{"id": str(uuid.UUID(int=1)), "at": "2026-01-01T00:00:00Z", "data": {"a": [1]}}]
        * 2,
        "count": 7,
    }


def test_anything_else_takes_ninjas_path():
    reordered = {"at": ROW["at"], "id": ROW["id"], "data": ROW["data"]}
    for result in (
        {"items": [ROW, reordered], "count": 2},  # not the schema's order
        {"items": [ROW, {**ROW, "extra": 1}], "count": 2},  # not the schema's fields
        {"items": [ThingOut(**ROW)], "count": 1},  # not dicts
        Status(200, {"items": [ROW], "count": 1}),
    ):
        assert call(result) is result
