"""Every answer under /api/ is JSON, `{"detail": …, "code": …}` for every error
(docs/api.md, "Conventions"): config/api.py shapes the API's own errors; this middleware
refuses a body or URL over the limits (413, 414) before anything reads them, and replaces
an error page of a layer below (Django's 404 and 500, ninja's plain-text 405, …) by the
JSON body with the same status. Outside /api/ (the admin) nothing changes.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"

ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    500: "server_error",
}


def api_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": ERROR_CODES.get(status, "error")}, status=status)


def _has_type(response: HttpResponse, content_type: str) -> bool:
    return response.get("Content-Type", "").startswith(content_type)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.path + "/").startswith(API_PREFIX):
            return self.get_response(request)
        refused = self._refused(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code < 400 or _has_type(response, "application/json"):
            return response
        return self._as_json(request, response)

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
        url_bytes = len(request.path.encode()) + len(request.META.get("QUERY_STRING", ""))
        if url_bytes > settings.SESSIONHUB_MAX_URL_BYTES:
            return api_error(
                414,
                f"The URL is {url_bytes} bytes long; the limit is "
                f"{settings.SESSIONHUB_MAX_URL_BYTES} bytes.",
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return api_error(400, "The Content-Length header is not a number.")
        limit = settings.SESSIONHUB_MAX_BODY_BYTES
        if length > limit:
            return api_error(
                413,
                f"The request body is {length} bytes; the limit is {limit} bytes "
                f"({limit / (1024 * 1024):g} MiB).",
            )
        return None

    def _as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        if status == 404:
            detail = f"No API operation at {request.method} {request.path}."
        elif status == 405:
            allowed = response.get("Allow", "")
            detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
        elif status >= 500:
            detail = "Internal server error."
        else:
            detail = _text(response) or response.reason_phrase
        replaced = api_error(status, detail)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                replaced[header] = response[header]
        return replaced


def _text(response: HttpResponse) -> str:
    """A short plain-text body as the detail (never an HTML page)."""
    if getattr(response, "streaming", False) or not _has_type(response, "text/plain"):
        return ""
    text = response.content.decode(errors="replace").strip()
    return text if len(text) <= 500 else ""
