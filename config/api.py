"""The one NinjaAPI of version 1, mounted at /api/v1/, with one router per app.

Authentication: `Authorization: Bearer <api key>` or the admin session (CSRF checked on
unsafe methods). Every operation requires one of them.
Every error is one body shape: {"detail": ..., "code": ...} (plus facts such as
`matches` where a client needs them).
"""

import json
import logging

import pydantic_core
from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.db import DataError, IntegrityError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from config.middleware import ERROR_CODES, api_error
from migration_app.services.journal import MigrationConflict, MigrationError
from projects_app.selectors import not_found_detail
from projects_app.services import ConflictError, api_key_authenticate

logger = logging.getLogger(__name__)


class ApiKeyBearer(HttpBearer):
    openapi_description = (
        "An API key, sent as `Authorization: Bearer <secret>`. Staff create keys in the "
        "admin (Projects → API keys); the secret is shown once."
    )

    def authenticate(self, request, token):
        return api_key_authenticate(secret=token) if token else None


class AdminSessionAuth(APIKeyCookie):
    """The admin login's session cookie.

    CSRF is checked only for a logged-in session: a request with neither key nor
    session must answer 401, not a CSRF 403.
    """

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The admin login's session cookie; unsafe methods also need `X-CSRFToken`."
    )

    def _get_key(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and check_csrf(request) is not None:
            raise PermissionDenied("CSRF check failed.")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        # A key is only read for an authenticated user (_get_key).
        return request.user if key is not None and request.user.is_active else None


class FastJSONRenderer(JSONRenderer):
    """JSON through pydantic-core (Rust): datetimes as ISO 8601 with zone, UUIDs as text.

    The stdlib encoder calls back into Python for every datetime and UUID of a page;
    anything pydantic-core does not know goes to ninja's encoder as before.
    """

    _fallback = NinjaJSONEncoder().default

    def render(self, request, data, *, response_status):
        return pydantic_core.to_json(data, fallback=self._fallback)


NUL_REFUSED = "Text must not contain NUL (U+0000) characters."


class NulRefusingParser(Parser):
    """Strict JSON bodies, and bodies and query strings without NUL characters.

    PostgreSQL cannot store or compare text containing U+0000 (psycopg raises before the
    query is sent), SQLite would store it: refusing it at the door keeps both databases
    answering alike. A body with NUL is "cannot parse" (400); a query value 422.
    """

    def parse_body(self, request):
        # NaN and Infinity are not JSON (RFC 8259); Python's parser would accept them.
        data = json.loads(request.body, parse_constant=_refuse_constant)
        if _contains_nul(data):
            raise ValueError(NUL_REFUSED)
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        if _contains_nul(result):
            raise NinjaValidationError([{"loc": ["query"], "msg": NUL_REFUSED, "type": "nul"}])
        return result


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number.")


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


def schema_access(view):
    """The schema is no secret to a client: any valid API key or admin login reads it."""
    key_auth, session_auth = ApiKeyBearer(), AdminSessionAuth()

    def guarded(request, *args, **kwargs):
        if key_auth(request) is None and session_auth(request) is None:
            response = api_error(401, "Authentication required.")
            response["WWW-Authenticate"] = "Bearer"
            return response
        return view(request, *args, **kwargs)

    return guarded


class SessionHubAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The generated schema, plus the errors the framework itself can answer:
        401 and 422 for every operation, 400 (unparseable body) and 413 (too large) for
        those with a body."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        }
        every = {401: "Unauthorized", 422: "Unprocessable Content"}
        with_body = {**every, 400: "Bad Request", 413: "Content Too Large"}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in (with_body if "requestBody" in operation else every).items():
                    responses.setdefault(status, {"description": text, **error})
        return schema


api = SessionHubAPI(
    title="Session Hub API",
    version="1",
    description=(
        "Projects, conversations, artifacts and sessions. Authenticate with "
        "`Authorization: Bearer <API key>` (keys are created in the admin) or the admin login."
    ),
    urls_namespace="api-v1",
    auth=[ApiKeyBearer(), AdminSessionAuth()],
    # The interactive docs are served at /api/docs (config/urls.py); the schema stays here.
    docs_url=None,
    docs_decorator=schema_access,
    renderer=FastJSONRenderer(),
    parser=NulRefusingParser(),
)


def error_response(request, *, status: int, detail, code: str, **extra):
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


def _invalid_request_detail(exc: NinjaValidationError) -> list[dict]:
    """The errors; a field the schema does not know is named in `msg`, not only in `loc`."""
    return [
        {**error, "msg": f"Unknown field {error['loc'][-1]!r}: not accepted here."}
        if error.get("type") == "extra_forbidden" and error.get("loc")
        else error
        for error in exc.errors
    ]


def _error_handler(status: int, code: str, detail=str):
    """A handler answering `status` and `code`; `detail` is a text or a function of the
    exception. A ConflictError's `extra` facts join the body."""

    def handler(request, exc):
        text = detail(exc) if callable(detail) else detail
        extra = exc.extra if isinstance(exc, ConflictError) else {}
        return error_response(request, status=status, detail=text, code=code, **extra)

    return handler


for exception, status, code, detail in [
    (NinjaValidationError, 422, "invalid_request", _invalid_request_detail),
    (
        ValidationError,
        400,
        "invalid",
        lambda exc: exc.message_dict if hasattr(exc, "error_dict") else exc.messages,
    ),
    (ConflictError, 409, "conflict", str),
    # A unique constraint won a race against the service's own check.
    (IntegrityError, 409, "conflict", "The change conflicts with existing data."),
    (MigrationConflict, 409, "conflict", str),
    (MigrationError, 400, "migration_refused", str),
    # The message names what was asked for ("Session 'x' not found."), never whether it
    # exists elsewhere: "absent" and "not yours" read alike, so ids of other workspaces
    # don't leak.
    (Http404, 404, "not_found", not_found_detail),
    (ObjectDoesNotExist, 404, "not_found", not_found_detail),
    # The middleware refuses a declared length over the limit first; this is the rest.
    (
        RequestDataTooBig,
        413,
        "too_large",
        lambda exc: (
            f"The request body is over the limit of {settings.SESSIONHUB_MAX_BODY_BYTES} bytes."
        ),
    ),
    # Rows of other workspaces answer 404 elsewhere; this is for CSRF and similar refusals.
    (PermissionDenied, 403, "forbidden", lambda exc: str(exc) or "Forbidden."),
]:
    api.add_exception_handler(exception, _error_handler(status, code, detail))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    response = error_response(
        request, status=401, detail="Authentication required.", code="unauthenticated"
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    code = ERROR_CODES.get(exc.status_code, "error")
    return error_response(request, status=exc.status_code, detail=str(exc), code=code)


@api.exception_handler(DataError)
def on_data_error(request, exc):
    # A NUL in a path parameter reaches PostgreSQL, which refuses it; any other value the
    # database cannot hold (too long, out of range) is the request's fault as well.
    if "NUL (0x00)" in str(exc):
        return error_response(request, status=422, detail=NUL_REFUSED, code="invalid_request")
    return error_response(
        request, status=400, detail="A value does not fit the database.", code="invalid"
    )


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return error_response(request, status=500, detail="Internal server error.", code="server_error")


api.add_router("/", "projects_app.api.router")
api.add_router("/", "sessions_app.api.router")
api.add_router("/", "sessions_app.search_api.router")
api.add_router("/", "migration_app.api.router")
