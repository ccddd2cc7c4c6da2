"""``/categories``: the catalog tree (CRUD, public reads).

Besides the item, a category offers ``/children`` (its direct subcategories, paginated)
and ``/subtree`` (itself with every descendant nested); ``/categories/tree`` is the
whole catalog. Deleting a category that still holds products or subcategories is 409.
"""

from __future__ import annotations

from collections.abc import Callable

from mongoengine import Q

from api.http import load_query, representation
from api.pagination import paginate
from api.resources.base import ApiResource, Store, search
from api.resources.common import translations
from api.resources.crud import Creating, Deleting, Listing, Reading, Updating
from api.schemas import (
    NO_QUERY,
    CategoryForestSchema,
    CategoryQuery,
    CategorySchema,
    CategoryTreeSchema,
    ChildrenQuery,
    page_schema,
)
from api.schemas.common import OTHER_LANGUAGES
from models import Category

__all__ = ["CategoryChildren", "CategoryItem", "CategoryList", "CategorySubtree",
           "CategoryTree", "build_forest"]


class CategoryStore(Store):
    document = Category
    schema = CategorySchema
    query = CategoryQuery
    noun = "category"
    unique = ("slug",)

    def __init__(self) -> None:
        super().__init__()
        self.children_query = ChildrenQuery()

    def filters(self, query: dict) -> Q:
        condition = Q()
        if "parent" in query:
            condition &= Q(parent=query["parent"])
        if "root" in query:
            condition &= Q(parent=None) if query["root"] else Q(parent__ne=None)
        if "slug" in query:
            condition &= Q(slug=query["slug"])
        if "q" in query:
            condition &= search(query["q"], "name",
                                *(f"translations.{lang}.name" for lang in OTHER_LANGUAGES))
        return condition

    def values(self, data: dict) -> dict:
        values = dict(data)
        if "parent" in values:
            values["parent"] = self.resolve(Category, "parent", values["parent"])
        if "translations" in values:
            values["translations"] = translations(values["translations"])
        return values

    def before_delete(self, doc: Category) -> None:
        doc.ensure_empty()


def build_forest(docs: list[Category], dump: Callable[[Category], dict]) -> list[dict]:
    """Nest dumped categories under their parents; those without one present are roots.

    ``docs`` come in display order, so every ``children`` list is in display order too.
    """
    nodes = {}
    for doc in docs:
        node = dump(doc)
        node["children"] = []
        nodes[node["id"]] = node
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent is not None else roots).append(node)
    return roots


class CategoryList(Listing, Creating):
    store = CategoryStore()
    item_endpoint = "api_v1.category_item"
    tag = "categories"


class CategoryItem(Reading, Updating, Deleting):
    store = CategoryList.store
    tag = "categories"


class CategoryChildren(ApiResource):
    """``GET /categories/{id}/children``: the direct subcategories, paginated."""

    store = CategoryList.store
    tag = "categories"
    openapi = {"summary": "List the direct subcategories of a category",
               "description": "Paginated, in display order by default.",
               "query": ChildrenQuery, "response": page_schema(CategorySchema)}

    def get(self, item_id):
        query = load_query(self.store.children_query)
        parent = self.store.get(item_id)
        queryset = self.store.queryset(query, base=Q(parent=parent))
        return representation(paginate(queryset, query["page"], query["page_size"],
                                       self.store.dump_many))


class CategorySubtree(ApiResource):
    """``GET /categories/{id}/subtree``: the category with all its descendants nested."""

    store = CategoryList.store
    tag = "categories"
    openapi = {"summary": "Get a category with all its descendants",
               "description": "Every category carries its subcategories in `children`.",
               "response": CategoryTreeSchema}

    def get(self, item_id):
        load_query(NO_QUERY)
        root = self.store.get(item_id)
        docs = list(Category.objects(id__in=root.subtree_ids()).order_by("position", "name"))
        forest = build_forest(docs, self.store.dump)
        tree = next(node for node in forest if node["id"] == str(root.pk))
        return representation(tree)


class CategoryTree(ApiResource):
    """``GET /categories/tree``: every category, nested, roots first."""

    store = CategoryList.store
    tag = "categories"
    openapi = {"summary": "Get the whole catalog tree",
               "description": "The top-level categories, each with its descendants nested "
                              "in `children`, in display order.",
               "response": CategoryForestSchema}

    def get(self):
        load_query(NO_QUERY)
        docs = list(Category.objects.order_by("position", "name"))
        return representation({"items": build_forest(docs, self.store.dump)})
