"""Writing token usage: one UsageRecord per transcript API message and per legacy session
total, each with its estimated cost from the price table (sessions_app/pricing.py).

- Transcript messages (Claude Code, Codex): `extra_data.usage` as the import stored it,
  once per API message. Codex's `input` is gross (it includes the cached input): the
  record keeps the uncached part, `input − cache_read`, so every origin means the same.
- ao-rs sessions: the `cost` block in `metadata` (input, output, cache_creation,
  cache_read tokens; `cost_usd` kept as the source's own figure).
- TokenDance sessions: `metadata.total_tokens_used`, one undivided total, no price.

A record's session is the session whose conversation holds the message, or for a
subagent's conversation the session its `extra_data.parent_session` names (the record
names the subagent). Writes are bulk upserts on `key`.
"""

from decimal import Decimal
from functools import cache

from django.apps import apps as django_apps
from django.db.models import Q
from django.db.models.fields.json import KT, KeyTransform

from projects_app.bulk import values_insert
from sessions_app.models import UsageRecord
from sessions_app.pricing import PriceTable, cost_estimate, price_table_load

BATCH = 1000


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


COUNTED = ("input", "output", "cache_write", "cache_read")  # their sum is the total


def usage_tokens(*, origin: str, usage: dict) -> dict[str, int]:
    """{input, output, cache_write, cache_read, cache_write_1h} of a stored message usage;
    input uncached; cache_write_1h is the part of cache_write made for the 1-hour cache
    (0 when the transcript did not split it: all at the 5-minute rate)."""
    tokens = {k: _count(usage.get(k)) for k in COUNTED}
    tokens["cache_write_1h"] = min(_count(usage.get("cache_write_1h")), tokens["cache_write"])
    if origin == "codex":
        tokens["input"] = max(tokens["input"] - tokens["cache_read"], 0)
    return tokens


@cache
def _fields(model_cls) -> tuple[str, ...]:
    """Every column but the key (the historical model of migration 0008, its backfill, has
    no cache_write_1h_tokens)."""
    return tuple(f.name for f in model_cls._meta.concrete_fields if not f.primary_key)


def _record(model_cls, table: PriceTable, *, tokens: dict[str, int], **fields) -> dict:
    """A record's column values ({attname: value}; values_insert fills in the defaults)."""
    cost = cost_estimate(table=table, model=fields.get("model", ""), tokens=tokens)
    if "cache_write_1h_tokens" in _fields(model_cls):
        fields["cache_write_1h_tokens"] = tokens.get("cache_write_1h", 0)
    return dict(
        input_tokens=tokens["input"], output_tokens=tokens["output"],
        cache_write_tokens=tokens["cache_write"], cache_read_tokens=tokens["cache_read"],
        total_tokens=fields.pop("total_tokens", None) or sum(tokens[k] for k in COUNTED),
        cost_micro_usd=cost, price_version=table.version if cost is not None else "",
        **fields,
    )  # fmt: skip


def usage_records_save(*, records: list[dict], get_model=django_apps.get_model) -> int:
    """Insert or update `records` (as _record makes them) by key, BATCH rows per statement.
    The same API message met again in another file (a resumed session repeats its history)
    is counted once, for the transcript imported first: a record owned by another message
    is left alone."""
    model_cls = get_model("sessions_app", "UsageRecord")
    unique = {}
    for record in records:  # one statement may not touch a row twice (PostgreSQL)
        unique.setdefault(record["key"], record)
    keys = [k for k, r in unique.items() if r.get("message_id") is not None]
    for start in range(0, len(keys), BATCH):
        owned = model_cls.objects.filter(key__in=keys[start : start + BATCH])
        for key, message_id in owned.values_list("key", "message_id"):
            if message_id != unique[key]["message_id"]:
                del unique[key]  # another file's copy of this API message was counted
    # Raw upserts of plain values (projects_app/bulk.py, values_insert).
    return values_insert(
        model_cls, list(unique.values()), batch=BATCH, update_on="key", update=_fields(model_cls)
    )


def _owners(conversation_ids, get_model) -> dict:
    """{conversation id: (session id, workspace id, subagent name)} for the sessions and
    subagents the conversations belong to."""
    session_cls = get_model("sessions_app", "Session")
    conversation_cls = get_model("projects_app", "Conversation")
    owners = {
        conv: (pk, ws, "")
        for conv, pk, ws in session_cls.objects.filter(
            conversation_id__in=conversation_ids
        ).values_list("conversation_id", "pk", "workspace_id")
    }
    rest = [c for c in conversation_ids if c not in owners]
    subagents = conversation_cls.objects.filter(pk__in=rest, extra_data__has_key="parent_session")
    parents = {
        pk: (str(extra["parent_session"]), str(extra.get("subagent") or pk))
        for pk, extra in subagents.values_list("pk", "extra_data")
    }
    workspaces = dict(
        session_cls.objects.filter(pk__in={p for p, _ in parents.values()}).values_list(
            "pk", "workspace_id"
        )
    )
    for conv, (parent, name) in parents.items():
        if parent in workspaces:
            owners[conv] = (parent, workspaces[parent], name)
    return owners


def _message_records(rows, get_model, table: PriceTable, owners: dict | None = None) -> list:
    """Records of messages given as (id, conversation id, created_at, model, source,
    usage, key) tuples; `owners` as _owners gives them, when the caller knows them."""
    model_cls = get_model("sessions_app", "UsageRecord")
    owners = owners or _owners(list({r[1] for r in rows}), get_model)
    records = []
    for pk, conv, created, model, source, usage, key in rows:
        owner, origin = owners.get(conv), source
        if owner is None or not isinstance(usage, dict) or origin not in ("claude-code", "codex"):
            continue  # a conversation of no session, a usage not an object, not a transcript
        records.append(
            _record(
                model_cls, table, tokens=usage_tokens(origin=origin, usage=usage),
                key=_message_key(pk, origin, key), workspace_id=owner[1], session_id=owner[0],
                subagent=owner[2], message_id=pk, origin=origin, model=(model or "")[:200],
                occurred_at=created,
            )
        )  # fmt: skip
    return records


def _stored_rows(messages) -> list:
    """The record tuples of `messages` (a Message queryset), read without their source
    records."""
    return list(
        messages.filter(extra_data__has_key="usage")
        .annotate(
            u_model=KT("extra_data__model"), u_source=KT("extra_data__source"),
            u_usage=KeyTransform("usage", "extra_data"), u_key=KT("extra_data__key"),
        )
        .values_list(
            "pk", "conversation_id", "created_at", "u_model", "u_source", "u_usage", "u_key"
        )
    )  # fmt: skip


def _message_key(pk, origin: str, key: str | None) -> str:
    # A Claude API message is `msg:<message.id>:<requestId>` in whatever file holds it.
    if origin == "claude-code" and key and key.startswith("msg:"):
        return f"claude-code:{key}"[:300]
    return f"message:{pk}"


def usage_messages_record(
    *, message_ids: list, table: PriceTable | None = None, get_model=django_apps.get_model
) -> int:
    """(Re)write the records of these messages (the transcript import calls this for the
    messages it inserted or updated; undo for those it restored)."""
    message_cls = get_model("projects_app", "Message")
    table = table or price_table_load()
    written = 0
    for start in range(0, len(message_ids), BATCH):
        chunk = _stored_rows(message_cls.objects.filter(pk__in=message_ids[start : start + BATCH]))
        records = _message_records(chunk, get_model, table)
        written += usage_records_save(records=records, get_model=get_model)
    return written


def usage_rows_record(
    *, rows: list, owners: dict | None = None, table: PriceTable | None = None
) -> int:
    """The same for messages just written, given as the (id, conversation id, created_at,
    model, source, usage, key) tuples of those with a usage: the import need not read back
    what it wrote (3.8 s of a 28 s first import of 32 MiB when it did, profiled with
    bench.transcript_import). `owners`: {conversation id: (session id, workspace id,
    subagent name)} when the caller knows them."""
    table = table or price_table_load()
    written = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        records = _message_records(chunk, django_apps.get_model, table, owners)
        written += usage_records_save(records=records)
    return written


def _micro(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int((Decimal(str(value)) * 1_000_000).to_integral_value())


def _legacy_records(sessions, get_model, table: PriceTable) -> list:
    model_cls = get_model("sessions_app", "UsageRecord")
    records = []
    for pk, ws, source, metadata, created in sessions.values_list(
        "pk", "workspace_id", "source", "metadata", "created_at"
    ):
        metadata = metadata if isinstance(metadata, dict) else {}
        common = {"key": f"{source}:{pk}", "workspace_id": ws, "session_id": pk,
                  "origin": source, "occurred_at": created}  # fmt: skip
        cost = metadata.get("cost")
        if source == "ao-rs" and isinstance(cost, dict):
            config = metadata.get("agent_config")
            model = config.get("model") if isinstance(config, dict) else None
            tokens = {
                "input": _count(cost.get("input_tokens")),
                "output": _count(cost.get("output_tokens")),
                "cache_write": _count(cost.get("cache_creation_tokens")),
                "cache_read": _count(cost.get("cache_read_tokens")),
            }
            records.append(
                _record(model_cls, table, tokens=tokens, model=str(model or "")[:200],
                        reported_cost_micro_usd=_micro(cost.get("cost_usd")), **common)
            )  # fmt: skip
        elif source == "tokendance" and _count(metadata.get("total_tokens_used")):
            # One undivided total: counted, never priced (the split is unknown).
            records.append({"total_tokens": _count(metadata["total_tokens_used"]), **common})
    return records


def _id_batches(queryset):
    """The ids of `queryset`, BATCH at a time in pk order (keyset pages, not offsets)."""
    last = None
    while True:
        page = queryset.filter(pk__gt=last) if last is not None else queryset
        ids = list(page.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        yield ids
        last = ids[-1]


# The stores that keep token totals, and the metadata key that holds them.
LEGACY_USAGE_KEYS = {"ao-rs": "cost", "tokendance": "total_tokens_used"}


def usage_sessions_record(*, session_ids: list | None = None, get_model=django_apps.get_model,
                          table: PriceTable | None = None) -> int:  # fmt: skip
    """(Re)write the legacy totals of ao-rs and TokenDance sessions (all, or these)."""
    session_cls = get_model("sessions_app", "Session")
    table = table or price_table_load()
    kept = (Q(source=source, metadata__has_key=key) for source, key in LEGACY_USAGE_KEYS.items())
    sessions = session_cls.objects.filter(Q(*kept, _connector=Q.OR))
    if session_ids is None:
        batches = _id_batches(sessions)
    else:
        given = sorted(session_ids)
        batches = (given[start : start + BATCH] for start in range(0, len(given), BATCH))
    written = 0
    for ids in batches:
        records = _legacy_records(sessions.filter(pk__in=ids), get_model, table)
        written += usage_records_save(records=records, get_model=get_model)
    return written


def usage_sessions_rebuild(*, session_ids: list) -> int:
    """The records of these sessions again, from their messages (their own conversation's
    and their subagents') and legacy totals: a deleted session's went with it, and undo
    of the delete brings the session back."""
    session_cls = django_apps.get_model("sessions_app", "Session")
    conversation_cls = django_apps.get_model("projects_app", "Conversation")
    message_cls = django_apps.get_model("projects_app", "Message")
    written = 0
    for start in range(0, len(session_ids), BATCH):
        ids = session_ids[start : start + BATCH]
        owned = session_cls.objects.filter(pk__in=ids, conversation__isnull=False)
        conversations = list(owned.values_list("conversation_id", flat=True))
        conversations += conversation_cls.objects.filter(
            extra_data__parent_session__in=ids
        ).values_list("pk", flat=True)
        messages = message_cls.objects.filter(
            conversation_id__in=conversations, extra_data__has_key="usage"
        )
        written += usage_messages_record(message_ids=list(messages.values_list("pk", flat=True)))
        written += usage_sessions_record(session_ids=ids)
    return written


def usage_backfill(*, get_model=django_apps.get_model, table: PriceTable | None = None) -> int:
    """Every record from what is stored: messages with a usage, legacy session totals.
    The migration runs this with its historical models; `usage_reprice --rebuild` too."""
    messages = get_model("projects_app", "Message").objects.filter(extra_data__has_key="usage")
    table = table or price_table_load()
    written = sum(
        usage_messages_record(message_ids=ids, table=table, get_model=get_model)
        for ids in _id_batches(messages)
    )
    return written + usage_sessions_record(get_model=get_model, table=table)


def usage_reprice(*, table: PriceTable | None = None, dry_run: bool = False) -> dict:
    """Every record's estimate from `table` (default: the repository's), BATCH at a time.
    Returns {records, changed, unpriced, version}; a dry run computes and writes nothing."""
    table = table or price_table_load()
    seen = changed = unpriced = 0
    last = ""
    kinds = (*COUNTED, "cache_write_1h")
    fields = tuple(f"{kind}_tokens" for kind in kinds)
    while True:
        rows = list(
            UsageRecord.objects.filter(pk__gt=last).order_by("pk")
            .only("pk", "model", "origin", "cost_micro_usd", "price_version", *fields)[:BATCH]
        )  # fmt: skip
        if not rows:
            break
        dirty = []
        for row in rows:
            tokens = dict(zip(kinds, (getattr(row, f) for f in fields), strict=True))
            cost = None
            if row.origin != "tokendance":
                cost = cost_estimate(table=table, model=row.model, tokens=tokens)
            version = table.version if cost is not None else ""
            unpriced += cost is None
            if (cost, version) != (row.cost_micro_usd, row.price_version):
                row.cost_micro_usd, row.price_version = cost, version
                dirty.append(row)
        if dirty and not dry_run:
            UsageRecord.objects.bulk_update(dirty, ["cost_micro_usd", "price_version"])
        seen, changed, last = seen + len(rows), changed + len(dirty), rows[-1].pk
    return {
        "records": seen, "changed": changed, "unpriced": unpriced, "version": table.version,
        "checked": table.checked, "dry_run": dry_run,
    }  # fmt: skip
