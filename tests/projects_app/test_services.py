"""API key checks: read from the database on every call, one query when nothing to write."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from projects_app.models import ApiKey
from projects_app.services import api_key_authenticate, api_key_create, api_key_revoke
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_owner_comes_back_as_the_orm_loads_it():
    user = StaffFactory(username="kim", email="kim@example.org", first_name="Kim")
    _, secret = api_key_create(user=user, name="k")
    found = api_key_authenticate(secret=secret)
    stored = get_user_model().objects.get(pk=user.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert found._state.adding is False and found._state.db == "default"
    assert found.date_joined.tzinfo is not None


def test_a_wrong_secret_or_unknown_prefix_is_refused():
    _, secret = api_key_create(user=UserFactory(), name="k")
    assert api_key_authenticate(secret=secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert api_key_authenticate(secret="shk_nothing_like_it") is None
    assert api_key_authenticate(secret="") is None


def test_revocation_and_deactivation_apply_to_the_very_next_call():
    user = UserFactory()
    key, secret = api_key_create(user=user, name="k")
    assert api_key_authenticate(secret=secret) == user
    api_key_revoke(key=key)
    assert api_key_authenticate(secret=secret) is None

    _, other_secret = api_key_create(user=user, name="k2")
    assert api_key_authenticate(secret=other_secret) == user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_key_authenticate(secret=other_secret) is None


def test_last_used_is_written_at_most_once_a_minute(django_assert_num_queries):
    user = UserFactory()
    key, secret = api_key_create(user=user, name="k")
    with django_assert_num_queries(2):  # the lookup, then the first use is recorded
        api_key_authenticate(secret=secret)
    first_use = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first_use is not None
    with django_assert_num_queries(1):  # the lookup only
        api_key_authenticate(secret=secret)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first_use

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    with django_assert_num_queries(2):
        api_key_authenticate(secret=secret)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first_use
