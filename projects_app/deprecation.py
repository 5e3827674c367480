"""Deprecation headers for API operations that are kept working but have a successor.

RFC 9745 `Deprecation: @<unix seconds>`, RFC 8594 `Sunset: <HTTP-date>`, and
`Link: <successor>; rel="successor-version"`. Applied in VIEW mode (ninja's
`decorate_view`), so the headers are on every response of the operation: success,
401, 404, 422 alike.
"""

from datetime import datetime
from functools import wraps

from django.conf import settings
from django.utils.http import http_date


def deprecated_endpoint(
    *,
    successor: str,
    deprecation: datetime | None = None,
    sunset: datetime | None = None,
):
    """A view decorator; dates default to settings.SESSION_API_DEPRECATED_AT / _SUNSET_AT."""

    def decorator(run):
        @wraps(run)
        def wrapper(request, *args, **kwargs):
            response = run(request, *args, **kwargs)
            deprecated_at = deprecation or settings.SESSION_API_DEPRECATED_AT
            sunset_at = sunset or settings.SESSION_API_SUNSET_AT
            response["Deprecation"] = f"@{int(deprecated_at.timestamp())}"
            response["Sunset"] = http_date(sunset_at.timestamp())
            response["Link"] = f'<{successor}>; rel="successor-version"'
            return response

        return wrapper

    return decorator
