"""The API's one pagination: `?limit=&offset=` with a ceiling, so no client can ask for a million rows at once."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination whose `limit` is cut to API_MAX_PAGE_SIZE (a larger one gets that many rows and a
    `next` link); a limit that is not a positive number falls back to PAGE_SIZE, as in DRF."""

    @property
    def max_limit(self) -> int:
        return settings.API_MAX_PAGE_SIZE
