"""Write-side use cases of the projects app."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from projects_app.models import ApiKey

_KEY_PREFIX_LENGTH = 12


def _api_key_hash(secret: str) -> str:
    # The secret is 256 bits of randomness, so a fast hash is enough (no brute force).
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, user, name: str) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its hash is stored."""
    secret = "shk_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user, name=name, prefix=secret[:_KEY_PREFIX_LENGTH], key_hash=_api_key_hash(secret)
    )
    return key, secret


def api_key_authenticate(*, secret: str):
    """The active user owning this key, or None; records `last_used_at`."""
    key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=secret[:_KEY_PREFIX_LENGTH], revoked_at__isnull=True)
        .first()
    )
    if key is None or not secrets.compare_digest(key.key_hash, _api_key_hash(secret)):
        return None
    if not key.user.is_active:
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key.user


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def superuser_ensure(*, username: str = "admin") -> str | None:
    """Create the superuser with a generated password; None when it already exists."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password
