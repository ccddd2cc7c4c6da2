import time

from models import Category, News, User, utcnow


def test_created_and_modified_set_on_first_save(db):
    before = utcnow()
    news = News(title="t", content="c")
    news.save()
    assert news.created is not None and news.created >= before
    assert news.modified == news.created


def test_created_never_changes_and_modified_moves_on_save(db):
    category = Category(name="A")
    category.save()
    created, modified = category.created, category.modified
    time.sleep(0.002)
    category.name = "B"
    category.save()
    category.reload()
    assert category.created == created
    assert category.modified > modified


def test_atomic_update_and_modify_keep_modified_true(db):
    category = Category(name="A")
    category.save()
    first = category.modified
    time.sleep(0.002)
    Category.objects(id=category.id).update_one(set__name="B")
    category.reload()
    assert category.modified > first and category.name == "B"
    second = category.modified
    time.sleep(0.002)
    category.modify(set__name="C")
    assert category.modified > second
    time.sleep(0.002)
    category.update(set__name="D")
    category.reload()
    assert category.modified > second and category.created < category.modified


def test_upsert_sets_created_once(db):
    user = User.register(42, username="ann", first_name="Ann", language_code="en")
    assert user.created == user.modified
    time.sleep(0.002)
    again = User.register(42, username="ann2", first_name="Ann", language_code="ru")
    assert again.created == user.created
    assert again.modified > user.modified
    assert again.language == "en", "the language is Telegram's only on first contact"
    assert again.username == "ann2"


def test_raw_updates_are_stamped_too(db):
    news = News(title="t", content="c")
    news.save()
    time.sleep(0.002)
    News.objects(id=news.id).update_one(__raw__={"$set": {"title": "u"}})
    news.reload()
    assert news.title == "u" and news.modified > news.created
