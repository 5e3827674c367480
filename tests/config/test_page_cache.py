"""Kept responses: served again only under the token and key they were rendered for."""

import pytest
from django.http import HttpResponse, JsonResponse
from ninja import Schema

from config.page_cache import ENTRY_OVERHEAD_BYTES, KeptResponses, responses_kept_while_unchanged

BUDGET = 2 * ENTRY_OVERHEAD_BYTES + 100  # two entries of up to 50 bytes each


def test_a_body_is_found_under_its_token_and_key_only():
    kept = KeptResponses()
    kept.put("t1", "page-1", b"one", "application/json", max_bytes=BUDGET)
    assert kept.get("t1", "page-1") == (b"one", "application/json")
    assert kept.get("t1", "page-2") is None
    assert kept.get("t2", "page-1") is None


def test_a_new_token_drops_everything_kept_under_the_old_one():
    kept = KeptResponses()
    kept.put("t1", "a", b"1", "x", max_bytes=BUDGET)
    kept.put("t1", "b", b"2", "x", max_bytes=BUDGET)
    kept.put("t2", "a", b"3", "x", max_bytes=BUDGET)
    assert len(kept) == 1
    assert kept.get("t2", "a") == (b"3", "x")
    assert kept.get("t1", "b") is None


def test_the_byte_budget_drops_the_least_recently_used_first():
    kept = KeptResponses()
    for name in "abc":
        kept.put("t", name, b"x" * 40, "x", max_bytes=BUDGET)
    # a and b fitted; c pushed a out.
    assert kept.get("t", "a") is None
    assert kept.get("t", "b") is not None  # b is now the most recently used
    kept.put("t", "d", b"x" * 40, "x", max_bytes=BUDGET)
    assert kept.get("t", "c") is None
    assert {kept.get("t", "b") is not None, kept.get("t", "d") is not None} == {True}


def test_each_entry_counts_its_overhead_so_tiny_bodies_cannot_pile_up():
    kept = KeptResponses()
    for n in range(1000):
        kept.put("t", n, b"", "x", max_bytes=BUDGET)
    assert len(kept) == 2


def test_a_body_larger_than_the_budget_is_not_kept():
    kept = KeptResponses()
    kept.put("t", "a", b"x" * 10, "x", max_bytes=BUDGET)
    kept.put("t", "big", b"x" * (BUDGET - ENTRY_OVERHEAD_BYTES + 1), "x", max_bytes=BUDGET)
    assert kept.get("t", "big") is None
    assert kept.get("t", "a") is not None


def test_replacing_a_key_counts_its_bytes_once():
    kept = KeptResponses()
    for _ in range(10):
        kept.put("t", "a", b"x" * 50, "x", max_bytes=BUDGET)
    kept.put("t", "b", b"x" * 50, "x", max_bytes=BUDGET)
    assert kept.get("t", "a") is not None and kept.get("t", "b") is not None


class Page(Schema):
    limit: int
    offset: int


class Counting:
    """A view whose body tells how often it ran, with a token the test controls."""

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
    settings.API_PAGE_CACHE_BYTES = 10_000
    return Counting()


def decorate(counting, viewer=lambda request: "alice"):
    return responses_kept_while_unchanged(token=lambda: counting.token, viewer=viewer)(
        counting.view
    )


def page(limit=50, offset=0):
    return {"status": None, "ninja_pagination": Page(limit=limit, offset=offset)}


def test_the_same_arguments_under_the_same_token_are_served_without_the_view(counting, rf):
    view = decorate(counting)
    first, second = view(rf.get("/"), **page()), view(rf.get("/?ignored=1"), **page())
    assert counting.calls == 1
    assert second.content == first.content == b"call 1"
    assert second.status_code == 200
    assert second["Content-Type"] == first["Content-Type"] == "text/plain; x=1"


def test_other_arguments_another_viewer_or_a_new_token_run_the_view(counting, rf):
    view = decorate(counting, viewer=lambda request: request.GET.get("as", "alice"))
    view(rf.get("/"), **page())
    assert view(rf.get("/"), **page(offset=50)).content == b"call 2"
    assert view(rf.get("/"), **page(limit=10)).content == b"call 3"
    assert view(rf.get("/?as=bob"), **page()).content == b"call 4"
    counting.token = "t2"
    assert view(rf.get("/"), **page()).content == b"call 5"
    assert view(rf.get("/"), **page()).content == b"call 5"


def test_no_token_no_viewer_or_unhashable_arguments_keep_nothing(counting, rf):
    counting.token = None
    view = decorate(counting)
    view(rf.get("/"), **page()), view(rf.get("/"), **page())
    assert counting.calls == 2
    counting.token = "t"
    anonymous = decorate(counting, viewer=lambda request: None)
    anonymous(rf.get("/"), **page()), anonymous(rf.get("/"), **page())
    assert counting.calls == 4
    listed = decorate(counting)
    listed(rf.get("/"), ids=["a"]), listed(rf.get("/"), ids=["a"])
    assert counting.calls == 6


def test_a_zero_budget_keeps_nothing_and_reads_no_token(settings, rf):
    settings.API_PAGE_CACHE_BYTES = 0
    counting = Counting()
    asked = []
    view = responses_kept_while_unchanged(
        token=lambda: asked.append(1) or "t", viewer=lambda request: "alice"
    )(counting.view)
    view(rf.get("/"), **page()), view(rf.get("/"), **page())
    assert counting.calls == 2 and asked == []


@pytest.mark.parametrize(
    "response",
    [JsonResponse({"detail": "no"}, status=404), HttpResponse(b"made", status=201)],
    ids=["error", "not-200"],
)
def test_only_plain_200_responses_are_kept(settings, rf, response):
    settings.API_PAGE_CACHE_BYTES = 10_000
    counting = Counting(response)
    view = decorate(counting)
    view(rf.get("/"), **page()), view(rf.get("/"), **page())
    assert counting.calls == 2
