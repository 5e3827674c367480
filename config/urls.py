from functools import partial

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path
from ninja.openapi.views import openapi_view

from config.api import api
from migration_app.views import execution_redirect

urlpatterns = [
    path("admin/", admin.site.urls),
    # Interactive API docs, for staff only (the schema at /api/v1/openapi.json likewise).
    path("api/docs", staff_member_required(partial(openapi_view, api=api)), name="api-docs"),
    path("api/v1/", api.urls),
    # TokenDance's old session route; its successor is the project page.
    path("execution/<str:session_id>/", execution_redirect, name="execution-redirect"),
]
