"""usage_reprice: every estimate from a (new) price table, dry run writes nothing,
--rebuild rewrites the records from what is stored."""

import json

import pytest

from sessions_app.models import UsageRecord
from sessions_app.pricing import PRICES_PATH
from tests.factories import SessionFactory, UsageRecordFactory
from tests.migration_app.legacy_helpers import command_run

pytestmark = pytest.mark.django_db


def draft(tmp_path, sonnet_input: str):
    table = json.loads(PRICES_PATH.read_text())
    table["version"] = "draft-1"
    table["models"]["claude-sonnet-4-5"]["input"] = sonnet_input
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(table))
    return str(path)


def test_a_new_table_reprices_every_record_and_stamps_its_version(tmp_path):
    record = UsageRecordFactory(model="claude-sonnet-4-5-20250929", cost_micro_usd=1)
    unknown = UsageRecordFactory(model="nobody", cost_micro_usd=None, price_version="")
    path = draft(tmp_path, "4")

    code, out, _ = command_run("usage_reprice", "--prices", path, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["changed"] == 1
    assert UsageRecord.objects.get(pk=record.pk).cost_micro_usd == 1  # dry run

    code, out, _ = command_run("usage_reprice", "--prices", path, "--json")
    result = json.loads(out)
    assert (result["records"], result["changed"], result["unpriced"]) == (2, 1, 1)
    record.refresh_from_db()
    # 1000 × 4 + 100 × 15 = 5500 µ$ under the draft table.
    assert (record.cost_micro_usd, record.price_version) == (5500, "draft-1")
    unknown.refresh_from_db()
    assert unknown.cost_micro_usd is None and unknown.price_version == ""

    code, out, _ = command_run("usage_reprice", "--prices", path)
    assert code == 0 and "2 usage records, 0 changed, 1 with no price" in out


def test_rebuild_writes_the_records_of_legacy_totals():
    SessionFactory(source="tokendance", metadata={"total_tokens_used": 99})
    code, out, _ = command_run("usage_reprice", "--rebuild", "--json")
    assert code == 0 and json.loads(out)["rebuilt"] == 1
    assert UsageRecord.objects.get().total_tokens == 99


def test_an_unreadable_table_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = command_run("usage_reprice", "--prices", str(bad))
    assert code != 0 and "Cannot read the price table" in err
