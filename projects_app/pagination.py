"""The API's list pagination: ninja's limit/offset with a bounded offset.

ninja's `LimitOffsetPagination` caps `limit` (NINJA_PAGINATION_MAX_LIMIT) but not
`offset`; an offset beyond the database's integer range makes the query itself fail.
"""

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

from projects_app.list_cache import project_page_cached

MAX_OFFSET = 1_000_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class CachedLimitOffsetPagination(BoundedLimitOffsetPagination):
    """The same pages, kept in the cache per caller and parameters (list_cache.py). The
    view returns a function that builds its queryset, called only on a miss."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        def build() -> dict:
            page = super(CachedLimitOffsetPagination, self).paginate_queryset(
                queryset(), pagination, request=request, **params
            )
            return {"items": list(page["items"]), "count": page["count"]}

        user = request.auth  # staff see every workspace: a page of theirs is another
        params = {**params, "limit": pagination.limit, "offset": pagination.offset}
        params["staff"] = user.is_staff
        return project_page_cached(user_id=user.pk, params=params, build=build)
