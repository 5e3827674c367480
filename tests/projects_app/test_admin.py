"""The project list's token and cost columns sum the project's sessions' usage; a cost
that leaves tokens out (a model with no price) says so."""

import pytest
from django.urls import reverse

from tests.factories import ProjectFactory, SessionFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db


def test_a_partly_priced_project_names_its_tokens_with_no_price(staff_client):
    project = ProjectFactory(title="mixed")
    priced, unpriced = SessionFactory(project=project), SessionFactory(project=project)
    UsageRecordFactory(session=priced, total_tokens=1100, cost_micro_usd=2_530_000)
    UsageRecordFactory(session=unpriced, model="mystery", total_tokens=45, cost_micro_usd=None)
    ProjectFactory(title="idle")
    page = staff_client.get(reverse("admin:projects_app_project_changelist")).content.decode()
    row = page.split(">mixed<")[1].split("</tr>")[0]
    assert '<td class="field-usage_tokens">1,145</td>' in row
    assert "$2.53 + 45 tokens with no price</span>" in row
    idle = page.split(">idle<")[1].split("</tr>")[0]
    assert '<td class="field-usage_cost">—</td>' in idle
