import pytest

from models import InvalidValue, User, ValidationError, normalise_email, normalise_phone


@pytest.mark.parametrize("raw,expected", [
    ("+7 999 123-45-67", "+79991234567"),
    ("8 (999) 123-45-67", "+79991234567"),
    ("79991234567", "+79991234567"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phones_are_normalised_to_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "not a phone", "+7 999", ""])
def test_bad_phones_are_refused(raw):
    with pytest.raises(InvalidValue):
        normalise_phone(raw)


def test_email_is_normalised_and_bad_email_refused():
    assert normalise_email(" Ann@Example.COM ") == "Ann@example.com"
    for bad in ("ann", "ann@", "@example.com", "ann@exa mple.com"):
        with pytest.raises(InvalidValue):
            normalise_email(bad)


def test_user_save_validates_email_and_phone(db):
    user = User(telegram_id=1, email="nope", phone="12")
    with pytest.raises(ValidationError) as err:
        user.save()
    assert set(err.value.to_dict()) == {"email", "phone"}
    user = User(telegram_id=1, email="a@example.com", phone="8 999 123 45 67")
    user.save()
    assert User.objects.get(telegram_id=1).phone == "+79991234567"


def test_language_must_be_known(db):
    with pytest.raises(ValidationError):
        User(telegram_id=1, language="de").save()


def test_display_name_and_blocked_flag(db):
    user = User.register(7, username="bob", first_name=None, language_code="de")
    assert user.display_name == "@bob"
    assert user.language == "ru", "unknown Telegram languages fall back to Russian"
    user.mark_blocked()
    assert User.objects.get(telegram_id=7).blocked
    assert User.register(7).blocked is False, "writing /start again unblocks"


def test_register_refreshes_telegram_names_but_keeps_a_name_set_in_the_profile(db):
    User.register(7, username="t", first_name="Tom", last_name="Smith", language_code="en")
    User.register(7, username="t", first_name="Tommy", last_name=None, language_code="en")
    user = User.objects.get(telegram_id=7)
    assert (user.first_name, user.last_name) == ("Tommy", None)  # Telegram's, refreshed
    User.set_name(7, "Thomas", "Riddle")
    user = User.register(7, username="t2", first_name="Tom", last_name="Smith",
                         language_code="ru")
    assert (user.first_name, user.last_name, user.username) == ("Thomas", "Riddle", "t2")
    assert user.language == "en" and user.name_edited
