import pytest

from models import (
    Category,
    CategoryNotEmpty,
    Characteristic,
    Product,
    TreeConflict,
    ValidationError,
)


@pytest.fixture
def tree(db):
    root = Category(name="Root")
    root.save()
    child = Category(name="Child", parent=root)
    child.save()
    leaf = Category(name="Leaf", parent=child)
    leaf.save()
    return root, child, leaf


def test_subcategories_are_derived_from_parent(tree):
    root, child, leaf = tree
    assert list(root.subcategories) == [child]
    assert list(child.subcategories) == [leaf]
    assert leaf.ancestors() == [root, child]
    assert set(root.subtree_ids()) == {root.pk, child.pk, leaf.pk}
    assert list(Category.roots()) == [root]


def test_cycle_is_refused(tree):
    root, child, leaf = tree
    root.parent = leaf
    with pytest.raises(TreeConflict) as err:
        root.save()
    assert err.value.field == "parent" and "cycle" in err.value.detail
    child.parent = child
    with pytest.raises(TreeConflict):
        child.save()
    assert Category.objects.get(id=root.pk).parent is None, "nothing written"


def test_the_cycle_check_reads_the_tree_now_not_stale_references(tree):
    """Two moves prepared at once (each with the other's old parent in memory): the second
    to be saved sees the first's result and is refused, so no loop can form."""
    root, child, leaf = tree
    a, b = Category(name="A"), Category(name="B")
    a.save()
    b.save()
    a_seen, b_seen = Category.objects.get(id=a.pk), Category.objects.get(id=b.pk)
    a_seen.parent = b_seen  # request 1: A under B (B's parent, as loaded: none)
    b_seen2 = Category.objects.get(id=b.pk)
    b_seen2.parent = Category.objects.get(id=a.pk)  # request 2: B under A (A's: none)
    a_seen.save()
    with pytest.raises(TreeConflict):
        b_seen2.save()
    assert Category.objects.get(id=b.pk).parent is None


def test_deleting_non_empty_category_is_refused(tree):
    root, child, leaf = tree
    with pytest.raises(CategoryNotEmpty):
        root.delete()
    Product(name="P", category=leaf, price=100).save()
    with pytest.raises(CategoryNotEmpty) as err:
        leaf.delete()
    assert err.value.values == {"name": "Leaf"}
    assert Category.objects.count() == 3


def test_empty_category_can_be_deleted(tree):
    _, _, leaf = tree
    leaf.delete()
    assert Category.objects.count() == 2


@pytest.mark.parametrize("field,value", [("discount", 101), ("discount", -1), ("price", -1),
                                         ("stock", -5)])
def test_product_validation(tree, field, value):
    product = Product(name="P", category=tree[2], **{"price": 100, field: value})
    with pytest.raises(ValidationError) as err:
        product.save()
    assert field in err.value.to_dict()


def test_discounted_price_is_exact(tree):
    product = Product(name="P", category=tree[2], price=129950, discount=15)
    assert product.final_price == 110458  # 1104.575 rounded half up
    assert isinstance(product.final_price, int)
    assert Product(name="P", category=tree[2], price=999, discount=100).final_price == 0


def test_caption_shows_old_and_new_price(tree):
    product = Product(name="Чай & <сахар>", category=tree[2], price=100000, discount=20, stock=3,
                      description="Описание", characteristics=[Characteristic(name="Вес",
                                                                              value="1 кг")])
    caption = product.caption("ru")
    assert caption.startswith("<b>Чай &amp; &lt;сахар&gt;</b>")
    assert "<s>1\u00a0000 ₽</s> <b>800 ₽</b>" in caption
    assert "• Вес: 1 кг" in caption
    assert "Out of stock" in Product(name="x", category=tree[2], price=1).caption("en")


@pytest.mark.parametrize("description", [
    "Ёжик & <ёлка> " * 200,            # Cyrillic with HTML-special characters
    "&" * 2000,                         # every character escapes to five
    "слово" * 500,                      # no spaces at all
])
def test_caption_never_exceeds_1024_and_never_cuts_an_entity(tree, description):
    specs = [Characteristic(name=f"Параметр {i}", value="<значение> & ещё") for i in range(40)]
    product = Product(name="Н" * 128, category=tree[2], price=123456, discount=33, stock=1,
                      description=description, characteristics=specs)
    caption = product.caption("ru")
    assert len(caption) <= 1024
    assert caption.startswith("<b>" + "Н" * 128 + "</b>")
    assert "…" in caption
    import re

    # every & starts a complete entity, every tag is one of ours and closed
    assert not re.search(r"&(?!amp;|lt;|gt;)", caption)
    assert caption.count("<b>") == caption.count("</b>")
    assert caption.count("<s>") == caption.count("</s>")
    assert not re.search(r"<(?!/?[bs]>)", caption)


def test_caption_that_fits_is_not_cut(tree):
    product = Product(name="P", category=tree[2], price=1, description="x" * 900)
    assert "…" not in product.caption()
