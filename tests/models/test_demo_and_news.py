from models import Category, News, Product, demo


def snapshot():
    return (
        sorted((c.slug, c.name, c.parent.slug if c.parent else None) for c in Category.objects),
        sorted((p.sku, p.name, p.price, p.stock, p.discount, p.image) for p in Product.objects),
        sorted((n.title, n.published) for n in News.objects),
    )


def test_demo_loader_is_idempotent(db):
    first = demo.load()
    data = snapshot()
    assert demo.load() == first
    assert snapshot() == data


def test_demo_catalog_has_what_the_issue_asks(demo):
    roots = list(Category.roots())
    assert len(roots) >= 3
    depth = max(len(c.ancestors()) for c in Category.objects) + 1
    assert depth >= 3
    assert Product.objects.count() >= 40
    assert Product.objects(discount__gt=0).count() > 0
    assert Product.objects(stock=0).count() > 0
    assert News.objects.count() == 8
    from engine.media import MediaDir
    from settings import DEFAULT_MEDIA_DIR

    for product in Product.objects:  # a picture the bot may send from the default MEDIA_DIR
        assert MediaDir(DEFAULT_MEDIA_DIR).resolve(product.image).kind == "file", product.image
        assert product.title("en") != product.name
        assert len(product.caption("ru")) <= 1024 and len(product.caption("en")) <= 1024


def test_the_demo_has_a_digital_product_to_pay_in_stars(demo):
    """STARS=1 on the demo catalog needs a digital product: one e-book, sent in the chat."""
    (ebook,) = Product.objects(digital=True)
    assert ebook.sku == "sci-fi-5" and ebook.stock > 0 and ebook.price == 29900
    assert ebook.title("en") == "Monday Begins on Saturday — e-book"
    assert ebook.name == "Понедельник начинается в субботу — электронная книга"
    assert Product.objects(digital=False).count() == Product.objects.count() - 1


def test_latest_news_newest_first(demo):
    latest = list(News.latest(5))
    assert len(latest) == 5
    assert [n.published for n in latest] == sorted((n.published for n in latest), reverse=True)


def test_python_m_models_demo_loads_into_the_given_database(capsys):
    import models
    from models.demo import main

    try:
        assert main(["--uri", "mongomock://localhost/democli"]) == 0
        assert "46 products" in capsys.readouterr().out
        assert Product.objects.count() == 46
    finally:
        models.disconnect()


def test_the_english_demo_catalog_has_no_russian_left(demo):
    import re

    cyrillic = re.compile("[А-Яа-яЁё]")
    for product in Product.objects:
        english = product.translations["en"]
        texts = [english.name, english.description,
                 *(f"{c.name}: {c.value}" for c in english.characteristics)]
        assert not [t for t in texts if cyrillic.search(t)], product.name
        assert not cyrillic.search(product.caption("en")), product.name
    for category in Category.objects:
        assert not cyrillic.search(category.title("en")), category.name
