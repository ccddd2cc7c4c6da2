"""What every resource shares: authorisation, and the :class:`Store` of one noun.

A :class:`Store` knows a noun's document class, schemas, filters and write rules;
the generic resources of :mod:`api.resources.crud` do the HTTP around it.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, ClassVar

from bson import ObjectId
from flask import request
from flask_restful import Resource
from marshmallow import Schema
from mongoengine import Document, NotUniqueError, OperationError, Q, SaveConditionError
from mongoengine.queryset import QuerySet

from api.auth import SAFE_METHODS, authorize
from api.errors import Conflict, NotFound, Unprocessable, sentence, unknown_item
from models import utcnow

logger = logging.getLogger(__name__)

__all__ = ["ApiResource", "Store", "search"]


class ApiResource(Resource):
    """A flask-restful resource that authorises the request before dispatching it.

    ``private`` resources need a token for reads too (personal data); writes always do.
    """

    private: ClassVar[bool] = False
    tag: ClassVar[str] = ""

    def dispatch_request(self, *args: Any, **kwargs: Any):
        authorize(private=self.private or request.method not in SAFE_METHODS)
        return super().dispatch_request(*args, **kwargs)


def search(text: str, *paths: str) -> Q:
    """Documents whose fields at ``paths`` (dotted) contain ``text``, case-insensitively.

    The text is escaped: ``.*`` looks for a dot and a star, it does not match everything.
    (A raw ``$regex`` with only the ``i`` option: a compiled Python pattern would also carry
    the ``u`` flag, which some MongoDB-compatible servers refuse.)
    """
    pattern = {"$regex": re.escape(text), "$options": "i"}
    return Q(__raw__={"$or": [{path: pattern} for path in paths]})


class Store:
    """One noun's data: lookup, listing, conversion from loaded input, guarded writes."""

    document: ClassVar[type[Document]]
    schema: ClassVar[type[Schema]]
    query: ClassVar[type[Schema] | None] = None
    noun: ClassVar[str] = ""
    unique: ClassVar[tuple[str, ...]] = ()
    # query parameters that filter by equality, and dated fields filtered by FIELD_from/_to
    exact: ClassVar[tuple[str, ...]] = ()
    ranges: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.item_schema = self.schema()
        self.query_schema = self.query() if self.query else None

    # reading ----------------------------------------------------------------------

    def parse_id(self, raw: Any) -> Any:
        """The primary key from the URL; 404 when it cannot be one (no 500 on ``abc``)."""
        if isinstance(raw, str) and ObjectId.is_valid(raw):
            return ObjectId(raw)
        raise NotFound(unknown_item(self.noun, raw))

    def get(self, raw_id: Any) -> Document:
        """The document with this id, or 404."""
        pk = self.parse_id(raw_id)
        doc = self.document.objects(pk=pk).first()
        if doc is None:
            raise NotFound(unknown_item(self.noun, raw_id))
        return doc

    def filters(self, query: dict) -> Q:
        """The filter of a listing, from the loaded query parameters (``exact``, ``ranges``;
        a store adds its own conditions by extending this)."""
        condition = Q()
        for name in self.exact:
            if name in query:
                condition &= Q(**{name: query[name]})
        for field in self.ranges:
            if f"{field}_from" in query:
                condition &= Q(**{f"{field}__gte": query[f"{field}_from"]})
            if f"{field}_to" in query:
                condition &= Q(**{f"{field}__lte": query[f"{field}_to"]})
        return condition

    def queryset(self, query: dict, base: Q | None = None) -> QuerySet:
        """Filtered and sorted; the primary key breaks ties so pages never overlap."""
        order = list(query.get("sort") or [])
        pk = self.document._meta["id_field"]
        if not any(key.lstrip("-") == pk for key in order):
            order.append(pk)
        condition = self.filters(query) & (base or Q())
        return self.document.objects(condition).order_by(*order)

    def dump(self, doc: Document) -> dict:
        """The representation of one document."""
        return self.item_schema.dump(doc)

    def dump_many(self, docs: list[Document]) -> list[dict]:
        return self.item_schema.dump(docs, many=True)

    # writing ----------------------------------------------------------------------

    def values(self, data: dict) -> dict:
        """Document attribute values from loaded input (resolve ids, build embedded docs)."""
        return dict(data)

    def build(self, data: dict) -> Document:
        """A new, unsaved document from loaded input."""
        return self.document(**self.values(data))

    def apply(self, doc: Document, data: dict) -> None:
        """Set the loaded input on ``doc`` (only the keys present: PATCH semantics)."""
        for name, value in self.values(data).items():
            setattr(doc, name, value)

    def resolve(self, document: type[Document], field: str, pk: ObjectId | None):
        """The referenced document, or 422 naming ``field`` when it does not exist."""
        if pk is None:
            return None
        doc = document.objects(pk=pk).first()
        if doc is None:
            raise Unprocessable(location="json",
                                errors={field: [unknown_item(document.__name__.lower(), pk)]})
        return doc

    def save(self, doc: Document, version: Any = None, *, new: bool = False) -> None:
        """Save ``doc``; an update only if the stored version is still ``version``.

        Raises SaveConditionError when someone else changed (or deleted) the document,
        409 naming the field on a duplicate unique value. An exception raised after the
        document was written (a post-save hook, such as a broadcast being queued) is logged
        and does not fail the request: the data is saved, and the client must not retry.
        """
        if not new:
            # the new version must differ from the one we read, even within one millisecond
            while utcnow() == version:
                time.sleep(0.0002)
        try:
            if new:
                doc.save()
            else:
                doc.save(save_condition={"modified": version})
        except SaveConditionError:
            raise  # the conditional write found another version: nothing was written
        # broad on purpose: whatever a hook raises, only an unsaved document is an error
        except Exception as err:
            if not self._written(doc):
                # some servers (FerretDB v1) report a duplicate key on update as a plain error
                conflicts = (self._unique_conflicts(doc)
                             if isinstance(err, OperationError) else {})
                if conflicts or isinstance(err, NotUniqueError):
                    raise Conflict("A unique value is already used by another item.",
                                   errors=conflicts or None, location="json") from None
                raise
            logger.exception("%s %s was saved, but a post-save side effect failed",
                             self.noun, doc.pk)

    def _written(self, doc: Document) -> bool:
        """Whether the database holds ``doc`` exactly as it was being saved."""
        if doc.pk is None:
            return False
        stored = self.document.objects(pk=doc.pk).as_pymongo().first()
        if stored is None:
            return False
        expected = doc.to_mongo().to_dict()
        # an empty map or list is not stored at all: absent and empty are the same
        return all(stored.get(key, type(value)() if value in ({}, []) else None) == value
                   for key, value in expected.items())

    def _unique_conflicts(self, doc: Document) -> dict[str, list[str]]:
        """The unique fields whose value another document already has."""
        errors = {}
        for field in self.unique:
            value = getattr(doc, field)
            if value is not None and self.document.objects(
                    **{field: value, "pk__ne": doc.pk}).first() is not None:
                errors[field] = ["Already used by another item."]
        return errors

    def before_delete(self, doc: Document) -> None:
        """Refuse the deletion (raise) when a business rule forbids it."""

    def after_delete(self, doc: Document) -> None:
        """Clean up what belonged to a deleted document."""

    def delete(self, doc: Document) -> bool:
        """Delete ``doc`` if it is still the version that was read; False otherwise."""
        self.before_delete(doc)
        try:
            deleted = self.document.objects(pk=doc.pk, modified=doc.modified).delete()
        except OperationError as err:  # a DENY delete rule: something still refers to it
            raise Conflict(sentence(str(err))) from None
        if deleted:
            self.after_delete(doc)
        return bool(deleted)
