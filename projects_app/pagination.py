"""The API's list pagination: ninja's limit/offset with a bounded offset.

ninja's `LimitOffsetPagination` caps `limit` (NINJA_PAGINATION_MAX_LIMIT) but not
`offset`; an offset beyond the database's integer range makes the query itself fail.
"""

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 1_000_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
