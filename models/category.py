"""Catalog categories: a tree of any depth, kept consistent through ``parent`` only."""

from __future__ import annotations

from mongoengine import (
    EmbeddedDocumentField,
    IntField,
    MapField,
    ReferenceField,
    StringField,
)

from models.base import TimestampedDocument
from models.errors import CategoryNotEmpty, TreeConflict
from models.i18n import Translation, localized
from models.lock import locked

MAX_DEPTH = 32
TREE_LOCK = "category-tree"  # held while the tree's shape, or a category's existence, is relied on


class Category(TimestampedDocument):
    """A catalog category; ``subcategories`` are derived from the children's ``parent``.

    Storing only the parent link means the tree can never disagree with itself: there is
    no second list to keep in step.
    """

    slug = StringField(max_length=64, unique=True, sparse=True)
    name = StringField(required=True, max_length=128)
    description = StringField(max_length=2000, default="")
    parent = ReferenceField("self", null=True)
    position = IntField(default=0)
    translations = MapField(EmbeddedDocumentField(Translation))

    meta = {"collection": "categories", "indexes": [("parent", "position", "name")],
            "ordering": ["position", "name"]}

    def __str__(self) -> str:
        return self.name

    def title(self, lang: str | None = None) -> str:
        return localized(self, "name", lang)

    @property
    def subcategories(self):
        """The direct children, in display order."""
        return Category.objects(parent=self).order_by("position", "name")

    @classmethod
    def roots(cls):
        return cls.objects(parent=None).order_by("position", "name")

    def ancestors(self) -> list[Category]:
        """From the root down to the parent (for breadcrumbs)."""
        chain, node = [], self.parent
        while node is not None and len(chain) < MAX_DEPTH:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def subtree_ids(self) -> list:
        """Ids of this category and all its descendants: one query per level."""
        ids, level = [self.pk], [self.pk]
        for _ in range(MAX_DEPTH):
            level = list(Category.objects(parent__in=level).scalar("id"))
            if not level:
                break
            ids.extend(level)
        return ids

    def save(self, *args, **kwargs):
        """Save; a new parent is checked and written under the tree's lock, so no two
        concurrent moves can make a loop together (each sees the other's result)."""
        if self.parent is not None and (self.pk is None or "parent" in self._changed_fields):
            with locked(TREE_LOCK):
                self._check_ancestry()
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    def _check_ancestry(self) -> None:
        """Walk up from the new parent, reading the database now (not cached references)."""
        parents = Category._get_collection()
        node, seen = self.parent.pk if self.parent else None, 0
        while node is not None:
            if self.pk is not None and node == self.pk:
                raise TreeConflict(
                    f"Category {self.name!r} cannot move under its own subcategory.",
                    detail="Must not be the category itself or one of its subcategories "
                           "(that would create a cycle).")
            seen += 1
            if seen > MAX_DEPTH:
                raise TreeConflict("The category tree would be too deep.",
                                   detail=f"Must not make the tree deeper than {MAX_DEPTH} "
                                          "levels.")
            doc = parents.find_one({"_id": node}, {"parent": 1})
            if doc is None:  # deleted since the request named it
                raise TreeConflict("The parent category no longer exists.",
                                   detail="Must be an existing category.")
            node = doc.get("parent")

    def ensure_empty(self) -> None:
        """Raise :class:`CategoryNotEmpty` while products or subcategories are in it."""
        from models.product import Product

        if Category.objects(parent=self).first() or Product.objects(category=self).first():
            raise CategoryNotEmpty(
                f"category {self.name!r} still holds products or subcategories", name=self.name)

    def delete(self, *args, **kwargs):
        """Delete an empty category; checked and done under the tree's lock, so a category
        or product being put into it at the same moment cannot be orphaned."""
        with locked(TREE_LOCK):
            self.ensure_empty()
            return super().delete(*args, **kwargs)
