"""Generic list/create and read/update/delete resources over a :class:`Store`.

Compose them: ``class ProductList(Listing, Creating)`` serves ``GET`` and ``POST``
on the collection; ``class ProductItem(Reading, Updating, Deleting)`` the item.
flask-restful answers 405 (with ``Allow``) for every method a class does not define.
"""

from __future__ import annotations

from typing import ClassVar

from flask import Response, url_for
from mongoengine import SaveConditionError

from api.errors import Conflict, PreconditionFailed
from api.http import check_if_match, load_body, load_query, representation
from api.pagination import paginate
from api.resources.base import ApiResource, Store
from api.schemas import NO_QUERY

WRITE_ATTEMPTS = 5

__all__ = ["Creating", "Deleting", "Listing", "Reading", "StoreResource", "Updating"]


class StoreResource(ApiResource):
    """A resource over one noun's store; ``item_endpoint`` names the item route (Location)."""

    store: ClassVar[Store]
    item_endpoint: ClassVar[str] = ""


class Listing(StoreResource):
    """``GET`` on a collection: filtered, sorted and paginated."""

    def get(self):
        query = load_query(self.store.query_schema)
        page = paginate(self.store.queryset(query), query["page"], query["page_size"],
                        self.store.dump_many)
        return representation(page)


class Creating(StoreResource):
    """``POST`` on a collection: 201 with the new item, its ``Location`` and ``ETag``."""

    def post(self):
        load_query(NO_QUERY)
        data = load_body(self.store.item_schema)
        doc = self.store.build(data)
        self.store.save(doc, new=True)
        stored = self.store.document.objects(pk=doc.pk).first() or doc
        location = url_for(self.item_endpoint, item_id=doc.pk)
        return representation(self.store.dump(stored), 201, {"Location": location})


class Reading(StoreResource):
    """``GET`` on an item, with ``ETag``; ``If-None-Match`` gives 304."""

    def get(self, item_id):
        load_query(NO_QUERY)
        return representation(self.store.dump(self.store.get(item_id)))


class Updating(StoreResource):
    """``PUT`` (replace) and ``PATCH`` (change the given fields) on an item.

    The write is conditional in the database on the version that was read, so it is
    never lost to, nor loses, a concurrent write: with ``If-Match`` a changed item is
    412, without it the update is applied again to the fresh item.
    """

    def put(self, item_id):
        return self._update(item_id, partial=False)

    def patch(self, item_id):
        return self._update(item_id, partial=True)

    def _update(self, item_id, *, partial: bool) -> Response:
        load_query(NO_QUERY)
        data = load_body(self.store.item_schema, partial=partial)
        for _ in range(WRITE_ATTEMPTS):
            doc = self.store.get(item_id)
            conditional = check_if_match(self.store.dump(doc))
            version = doc.modified
            self.store.apply(doc, data)
            try:
                self.store.save(doc, version)
            except SaveConditionError:
                if conditional:
                    raise PreconditionFailed() from None
                continue
            return representation(self.store.dump(self.store.get(item_id)))
        raise Conflict("The item kept changing while it was being updated; try again.")


class Deleting(StoreResource):
    """``DELETE`` on an item: 204; with ``If-Match``, 412 if the item has changed."""

    def delete(self, item_id):
        load_query(NO_QUERY)
        for _ in range(WRITE_ATTEMPTS):
            doc = self.store.get(item_id)
            conditional = check_if_match(self.store.dump(doc))
            if self.store.delete(doc):
                return Response(status=204)
            if conditional:
                raise PreconditionFailed()
        raise Conflict("The item kept changing while it was being deleted; try again.")
