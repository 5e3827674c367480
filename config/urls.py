from django.contrib import admin
from django.urls import path

from config.api import api
from migration_app.views import execution_redirect

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # TokenDance's old session route; its successor is the project page.
    path("execution/<str:session_id>/", execution_redirect, name="execution-redirect"),
]
