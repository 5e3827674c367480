"""Rows written in bulk through services/bulk.py's `rows_insert`: messages as plain
values, other models from unsaved instances, with a preparer per field kind."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, models

from migration_app.services.bulk import rows_insert
from projects_app.models import Message


class MessageRow(NamedTuple):
    """A Message to insert, as plain values (no model instance: 20 per session add up)."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str
    content: str
    tool_calls: Any
    tool_call_id: str
    extra_data: dict
    tokens_used: int
    created_at: datetime


MESSAGE_COLUMNS = MessageRow._fields


def messages_insert(messages: list[MessageRow]) -> None:
    """One executemany (COPY on PostgreSQL) through services/bulk.py's `rows_insert`.

    Figure (2026-12-04, `python -m bench.tokendance_import --sessions 500`, this 2-core
    machine shared, load ~5): first import 6.55x the floor with `Message.objects.bulk_create`
    and model instances, 4.53x with this writer, 4.06x with the re-run change too;
    bulk_create spent most of its time building SQL and a model instance per row.
    """
    if not messages:
        return
    ops = connection.ops
    native_uuid = connection.features.has_native_uuid_field
    encoder = Message._meta.get_field("extra_data").encoder

    def key(value: uuid.UUID):
        return value if native_uuid else value.hex

    rows = [
        (
            key(m.id), key(m.conversation_id), m.role, m.content,
            None if m.tool_calls is None else ops.adapt_json_value(m.tool_calls, encoder),
            m.tool_call_id, ops.adapt_json_value(m.extra_data, encoder), m.tokens_used,
            ops.adapt_datetimefield_value(m.created_at),
        )
        for m in messages
    ]  # fmt: skip
    for start in range(0, len(rows), 5_000):
        rows_insert(Message, MESSAGE_COLUMNS, rows[start : start + 5_000])


def _preparer(field):
    """A function giving the database value of `field` for a Python value: the few field
    kinds these tables use, without get_db_prep_save's generic path per value."""
    ops = connection.ops
    target = field.target_field if field.is_relation else field
    if isinstance(target, models.UUIDField) and not connection.features.has_native_uuid_field:
        return lambda v: (
            None if v is None else (v.hex if isinstance(v, uuid.UUID) else uuid.UUID(v).hex)
        )
    if isinstance(target, models.JSONField):
        return lambda v: None if v is None else ops.adapt_json_value(v, target.encoder)
    if isinstance(target, models.DateTimeField):
        return ops.adapt_datetimefield_value
    return lambda v: v


def instances_insert(model, objs: list) -> None:
    """Unsaved model instances inserted with `rows_insert` (no per-row SQL building as in
    bulk_create: same figure as `messages_insert`)."""
    if not objs:
        return
    fields = model._meta.concrete_fields
    prepared = [(f.attname, _preparer(f)) for f in fields]
    rows = [[prep(getattr(obj, name)) for name, prep in prepared] for obj in objs]
    for start in range(0, len(rows), 2_000):
        rows_insert(model, [f.attname for f in fields], rows[start : start + 2_000])
