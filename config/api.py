"""The one NinjaAPI of version 1, mounted at /api/v1/, with one router per app.

Authentication: `Authorization: Bearer <api key>` or the admin session (with CSRF).
Every error is one body shape: {"detail": ..., "code": ...}.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from migration_app.services.journal import MigrationConflict, MigrationError
from projects_app.services import api_key_authenticate


class ApiKeyBearer(HttpBearer):
    def authenticate(self, request, token):
        return api_key_authenticate(secret=token)


class AdminSessionAuth(APIKeyCookie):
    """The admin login's session cookie; CSRF is checked (APIKeyCookie does it)."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = request.user
        return user if user.is_authenticated and user.is_active else None


api = NinjaAPI(
    title="Session Hub API",
    version="1",
    urls_namespace="api-v1",
    auth=[ApiKeyBearer(), AdminSessionAuth()],
    docs_decorator=staff_member_required,
)


def error_response(request, *, status: int, detail, code: str):
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error_response(
        request, status=401, detail="Authentication required.", code="unauthenticated"
    )


@api.exception_handler(NinjaValidationError)
def on_invalid_request(request, exc):
    return error_response(request, status=422, detail=exc.errors, code="invalid_request")


@api.exception_handler(ValidationError)
def on_invalid_value(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return error_response(request, status=400, detail=detail, code="invalid")


@api.exception_handler(MigrationConflict)
def on_conflict(request, exc):
    return error_response(request, status=409, detail=str(exc), code="conflict")


@api.exception_handler(MigrationError)
def on_migration_error(request, exc):
    return error_response(request, status=400, detail=str(exc), code="migration_refused")


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def on_not_found(request, exc):
    return error_response(request, status=404, detail="Not found.", code="not_found")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    # Rows of other workspaces answer 404 elsewhere; this is for actions a member may not take.
    return error_response(request, status=403, detail=str(exc) or "Forbidden.", code="forbidden")


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    codes = {400: "bad_request", 401: "unauthenticated", 404: "not_found", 409: "conflict"}
    return error_response(
        request,
        status=exc.status_code,
        detail=str(exc),
        code=codes.get(exc.status_code, "error"),
    )


api.add_router("/", "projects_app.api.router")
api.add_router("/", "sessions_app.api.router")
api.add_router("/", "migration_app.api.router")
