"""The admin search page (/admin/sessions_app/session/search/): thin over search_page."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse

from projects_app.models import Message, Project, Source
from projects_app.selectors import workspace_list_for_user
from sessions_app.search_selectors import SearchFilters, search_page

PAGE = 20


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search", strip=False)
    workspace = forms.ModelChoiceField(queryset=None, required=False, empty_label="any workspace")
    project = forms.CharField(required=False, label="Project id")
    source = forms.ChoiceField(required=False, choices=[("", "any source"), *Source.choices])
    role = forms.ChoiceField(required=False, choices=[("", "any role"), *Message.Role.choices])
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="inclusive (UTC)"
    )
    has_errors = forms.BooleanField(required=False, label="Has errors")
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspace_list_for_user(user=user).order_by("name")

    def filters(self) -> SearchFilters:
        data = self.cleaned_data

        def midnight(day: dt.date | None, *, days: int = 0):
            # Days in UTC, as in the API, whatever time zone is active (docs/search.md).
            if day is None:
                return None
            return dt.datetime.combine(day + dt.timedelta(days), dt.time(), tzinfo=dt.UTC)

        return SearchFilters(
            workspace_id=str(data["workspace"].pk) if data["workspace"] else None,
            project_id=data["project"].strip() or None,
            source=data["source"] or None,
            role=data["role"] or None,
            since=midnight(data["since"]),
            until=midnight(data["until"], days=1),
            has_errors=data["has_errors"],
        )


def _link(hit: dict) -> str:
    if hit["kind"] == "message":
        url = reverse("admin:projects_app_conversation_change", args=[hit["conversation_id"]])
        return f"{url}#message-{hit['id']}"
    if hit["kind"] == "session":
        return reverse("admin:sessions_app_session_change", args=[hit["id"]])
    return reverse("admin:projects_app_project_change", args=[hit["id"]])


def search_view(request, *, admin_site):
    form = SearchForm(request.GET or None, user=request.user)
    page, error = None, None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        try:
            page = search_page(
                user=request.user,
                text=form.cleaned_data["q"],
                filters=form.filters(),
                cursor=form.cleaned_data["cursor"] or None,
                limit=PAGE,
            )
        except ValidationError as invalid:
            error = " ".join(m for messages in invalid.message_dict.values() for m in messages)
    if page is not None:
        # The page's projects by title: one query (a hit carries only the project's id).
        ids = {hit["project_id"] for hit in page["items"] if hit["project_id"]}
        titles = dict(Project.objects.filter(pk__in=ids).values_list("pk", "title"))
        for hit in page["items"]:
            hit["url"] = _link(hit)
            if hit["session_id"]:
                hit["session_url"] = reverse(
                    "admin:sessions_app_session_change", args=[hit["session_id"]]
                )
            if hit["project_id"]:
                hit["project_title"] = titles.get(hit["project_id"])
                hit["project_url"] = reverse(
                    "admin:projects_app_project_change", args=[hit["project_id"]]
                )
        if page["next_cursor"]:
            following = request.GET.copy()
            following["cursor"] = page["next_cursor"]
            page["next_url"] = "?" + following.urlencode()
    first_page_url = None
    if form.is_bound and request.GET.get("cursor"):
        first = request.GET.copy()
        first.pop("cursor")
        first_page_url = "?" + first.urlencode()
    context = {
        **admin_site.each_context(request),
        "title": "Search",
        "form": form,
        "page": page,
        "error": error,
        "first_page_url": first_page_url,
    }
    return TemplateResponse(request, "admin/sessions_app/search.html", context)
