"""Kept responses: served again only under the token and key they were rendered for."""

import pytest
from django.http import HttpResponse, JsonResponse

from config.page_cache import KeptResponses, responses_kept_while_unchanged


def test_a_body_is_found_under_its_token_and_key_only():
    kept = KeptResponses()
    kept.put("t1", "page-1", b"one", "application/json", max_bytes=100)
    assert kept.get("t1", "page-1") == (b"one", "application/json")
    assert kept.get("t1", "page-2") is None
    assert kept.get("t2", "page-1") is None


def test_a_new_token_drops_everything_kept_under_the_old_one():
    kept = KeptResponses()
    kept.put("t1", "a", b"1", "x", max_bytes=100)
    kept.put("t1", "b", b"2", "x", max_bytes=100)
    kept.put("t2", "a", b"3", "x", max_bytes=100)
    assert len(kept) == 1
    assert kept.get("t2", "a") == (b"3", "x")
    assert kept.get("t1", "b") is None


def test_the_byte_budget_drops_the_least_recently_used_first():
    kept = KeptResponses()
    for name in "abc":
        kept.put("t", name, b"x" * 40, "x", max_bytes=100)
    # a and b fitted (80 bytes); c pushed a out.
    assert kept.get("t", "a") is None
    assert kept.get("t", "b") is not None  # b is now the most recently used
    kept.put("t", "d", b"x" * 40, "x", max_bytes=100)
    assert kept.get("t", "c") is None
    assert {kept.get("t", "b") is not None, kept.get("t", "d") is not None} == {True}


def test_a_body_larger_than_the_budget_is_not_kept():
    kept = KeptResponses()
    kept.put("t", "a", b"x" * 10, "x", max_bytes=100)
    kept.put("t", "big", b"x" * 101, "x", max_bytes=100)
    assert kept.get("t", "big") is None
    assert kept.get("t", "a") is not None


def test_replacing_a_key_counts_its_bytes_once():
    kept = KeptResponses()
    for _ in range(10):
        kept.put("t", "a", b"x" * 60, "x", max_bytes=100)
    kept.put("t", "b", b"x" * 40, "x", max_bytes=100)
    assert kept.get("t", "a") is not None and kept.get("t", "b") is not None


class Counting:
    """A view whose body tells how often it ran, with a token and key the test controls."""

    def __init__(self, response=None):
        self.calls = 0
        self.token = "t1"
        self.response = response

    def view(self, request, **kwargs):
        self.calls += 1
        if self.response is not None:
            return self.response
        return HttpResponse(f"call {self.calls}".encode(), content_type="text/plain; x=1")


@pytest.fixture
def counting(settings):
    settings.API_PAGE_CACHE_BYTES = 1000
    return Counting()


def decorate(counting, key=lambda request: request.GET.get("page", "1")):
    return responses_kept_while_unchanged(token=lambda: counting.token, key=key)(counting.view)


def test_the_same_request_under_the_same_token_is_served_without_the_view(counting, rf):
    view = decorate(counting)
    first, second = view(rf.get("/")), view(rf.get("/"))
    assert counting.calls == 1
    assert second.content == first.content == b"call 1"
    assert second.status_code == 200
    assert second["Content-Type"] == first["Content-Type"] == "text/plain; x=1"


def test_a_new_token_or_another_key_runs_the_view(counting, rf):
    view = decorate(counting)
    view(rf.get("/"))
    assert view(rf.get("/?page=2")).content == b"call 2"
    counting.token = "t2"
    assert view(rf.get("/")).content == b"call 3"
    assert view(rf.get("/")).content == b"call 3"


def test_no_token_or_no_key_keeps_nothing(counting, rf):
    counting.token = None
    view = decorate(counting)
    view(rf.get("/")), view(rf.get("/"))
    assert counting.calls == 2
    counting.token = "t"
    keyless = decorate(counting, key=lambda request: None)
    keyless(rf.get("/")), keyless(rf.get("/"))
    assert counting.calls == 4


def test_a_zero_budget_keeps_nothing_and_reads_no_token(settings, rf):
    settings.API_PAGE_CACHE_BYTES = 0
    counting = Counting()
    asked = []
    view = responses_kept_while_unchanged(
        token=lambda: asked.append(1) or "t", key=lambda request: "k"
    )(counting.view)
    view(rf.get("/")), view(rf.get("/"))
    assert counting.calls == 2 and asked == []


@pytest.mark.parametrize(
    "response",
    [JsonResponse({"detail": "no"}, status=404), HttpResponse(b"made", status=201)],
    ids=["error", "not-200"],
)
def test_only_plain_200_responses_are_kept(settings, rf, response):
    settings.API_PAGE_CACHE_BYTES = 1000
    counting = Counting(response)
    view = decorate(counting)
    view(rf.get("/")), view(rf.get("/"))
    assert counting.calls == 2
