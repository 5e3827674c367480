"""Row timestamps that an import can carry over verbatim.

Django's `auto_now_add` / `auto_now` overwrite the value on every insert, `bulk_create`
included, so a migrated project would claim to be created on migration day. Here an
insert keeps the value it is given (default: now), and only a later `save()` moves
`updated_at` on.
"""

from django.db import models
from django.utils import timezone


class CreatedAtField(models.DateTimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("default", timezone.now)
        kwargs.setdefault("editable", False)
        super().__init__(**kwargs)


class UpdatedAtField(CreatedAtField):
    """Now on every save of an existing row; what it is given on insert."""

    def pre_save(self, model_instance, add):
        if not add:
            setattr(model_instance, self.attname, timezone.now())
        return super().pre_save(model_instance, add)
