"""The API's list pagination: ninja's limit/offset with a bounded offset.

ninja's `LimitOffsetPagination` caps `limit` (NINJA_PAGINATION_MAX_LIMIT) but not
`offset`; an offset beyond the database's integer range makes the query itself fail.
"""

from functools import wraps

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination
from pydantic import BaseModel

MAX_OFFSET = 1_000_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


def page_rendered_as_is(schema: type[BaseModel]):
    """For a paginated list view whose items are CompiledRows dicts (config/compiled_query.py).

    Those dicts hold exactly `schema`'s fields, in its order, with the values the ORM
    gives (aware datetimes, UUIDs, decoded JSON): validating them through the schema
    would only rebuild the same dicts. A page whose items are all such dicts goes
    straight to the API's renderer, which writes the same bytes; anything else takes
    ninja's usual path. Put it above @paginate.
    """
    fields = tuple(schema.model_fields)

    def decorator(view):
        @wraps(view)
        def rendered(request, **kwargs):
            result = view(request, **kwargs)
            items = result.get("items") if type(result) is dict else None
            if items is None or any(
                type(item) is not dict or tuple(item) != fields for item in items
            ):
                return result
            from config.api import api  # config.api imports the routers using this

            return api.create_response(request, result, status=200)

        return rendered

    return decorator
