"""Paginated listings: ``{"items", "page", "page_size", "pages", "total", "links"}``.

``links`` holds root-relative URLs (``/api/v1/products?page=2&page_size=20``) of this,
the first, the last, the next and the previous page (``null`` where there is none);
every other query parameter of the request is kept in them.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import request
from mongoengine.queryset import QuerySet

__all__ = ["paginate"]


def _link(page: int, page_size: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size")]
    args += [("page", str(page)), ("page_size", str(page_size))]
    return f"{request.path}?{urlencode(args)}"


def paginate(queryset: QuerySet, page: int, page_size: int,
             dump: Callable[[list], list]) -> dict:
    """One page of ``queryset`` (already filtered and ordered), its items dumped by ``dump``."""
    total = queryset.count()
    pages = max(1, -(-total // page_size))
    items = list(queryset.skip((page - 1) * page_size).limit(page_size))
    return {
        "items": dump(items),
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "total": total,
        "links": {
            "self": _link(page, page_size),
            "first": _link(1, page_size),
            "last": _link(pages, page_size),
            "next": _link(page + 1, page_size) if page < pages else None,
            "prev": _link(min(page - 1, pages), page_size) if page > 1 else None,
        },
    }
