"""The demo catalog: ``python -m models.demo`` loads it into ``MONGO_URI`` (idempotent).

Categories are keyed by ``slug``, products by ``sku`` and news by title, and every
document is written with an upsert, so loading twice leaves the same data.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from models.category import Category
from models.i18n import Characteristic, Translation
from models.news import News
from models.product import Product

DATA = Path(__file__).with_name("demo_data")
IMAGES = DATA / "images"
NEWS_START = datetime(2026, 11, 1, 9, 0)

_LONG_RU = ("Полное иллюстрированное издание: история, наука, искусство, техника и природа "
            "в одном томе. Статьи написаны простым языком, с картами, схемами и справочными "
            "таблицами, а также «заметками на полях» & указателем терминов. ")
_LONG_EN = ("The complete illustrated edition: history, science, art, engineering and nature "
            "in one volume. Written in plain words, with maps, diagrams, reference tables, "
            "\"margin notes\" & an index of terms. ")


def load_catalog_data() -> dict:
    with open(DATA / "catalog.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def product_rows(data: dict) -> list[dict]:
    """The products of the data file as dicts, each with a stable ``sku``."""
    rows = []
    for category, products in data["products"].items():
        for index, (name, en, price, stock, discount, desc, desc_en, specs, *options) in \
                enumerate(products, start=1):
            if desc == "LONG":
                desc, desc_en = _LONG_RU * 12, _LONG_EN * 12
            rows.append({"sku": f"{category}-{index}", "category": category, "name": name,
                         "en": en, "price": price, "stock": stock, "discount": discount,
                         "description": desc, "description_en": desc_en,
                         "specs": [(str(k), str(v)) for k, v in (specs or {}).items()],
                         "position": index,
                         "digital": bool((options or [{}])[0].get("digital"))})
    return rows


def _categories(nodes: list[dict], parent: Category | None, out: dict) -> None:
    for position, node in enumerate(nodes):
        fields = {"name": node["name"], "description": node.get("description", ""),
                  "parent": parent, "position": position,
                  "translations": {"en": Translation(name=node["en"])}}
        Category.objects(slug=node["slug"]).update_one(
            upsert=True, **{f"set__{k}": v for k, v in fields.items()})
        category = Category.objects.get(slug=node["slug"])
        out[node["slug"]] = category
        _categories(node.get("children", []), category, out)


def load(verbose: bool = False) -> dict[str, int]:
    """Load (or refresh) the demo catalog and news; return how many of each exist."""
    data = load_catalog_data()
    categories: dict[str, Category] = {}
    _categories(data["categories"], None, categories)
    spec_names, spec_values = data.get("spec_names", {}), data.get("spec_values", {})
    for row in product_rows(data):
        specs = [Characteristic(name=k, value=v) for k, v in row["specs"]]
        specs_en = [Characteristic(name=spec_names.get(k, k), value=spec_values.get(v, v))
                    for k, v in row["specs"]]
        fields = {
            "name": row["name"], "description": row["description"],
            "category": categories[row["category"]], "price": row["price"],
            "stock": row["stock"], "discount": row["discount"], "position": row["position"],
            "digital": row["digital"],
            "image": f"{row['sku']}.png",  # a name in the media directory (MEDIA_DIR)
            "characteristics": specs,
            "translations": {"en": Translation(name=row["en"], description=row["description_en"],
                                               characteristics=specs_en)},
        }
        Product.objects(sku=row["sku"]).update_one(
            upsert=True, **{f"set__{k}": v for k, v in fields.items()})
    for index, (title, title_en, content, content_en) in enumerate(data["news"]):
        if not News.objects(title=title).first():
            # sample data, not announcements: not broadcast to the users
            News(title=title, content=content, published=NEWS_START + timedelta(days=index),
                 translations={"en": Translation(name=title_en, description=content_en)},
                 ).save(broadcast=False)
    counts = {"categories": Category.objects.count(), "products": Product.objects.count(),
              "news": News.objects.count()}
    if verbose:
        print("demo catalog: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return counts


def main(argv: list[str] | None = None) -> int:
    import settings
    from models.db import connect

    parser = argparse.ArgumentParser(prog="python -m models.demo", description=__doc__)
    parser.add_argument("--uri", help="MongoDB URI (default: MONGO_URI)")
    args = parser.parse_args(argv)
    connect(args.uri or settings.load().mongo_uri)
    load(verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
