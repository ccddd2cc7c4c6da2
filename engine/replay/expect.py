"""Comparing what the bot did with what a script expects; failures read as a diff."""

from __future__ import annotations

import re

from engine.replay.driver import Shown, StepResult


def matches(expected: object, actual: object) -> bool:
    """Exact for scalars; ``{contains: s}``, ``{regex: r}``, ``{startswith: s}`` for text."""
    if isinstance(expected, dict) and set(expected) <= {"contains", "regex", "startswith"} \
            and expected:
        text = "" if actual is None else str(actual)
        return all((
            "contains" not in expected or str(expected["contains"]) in text,
            "regex" not in expected or re.search(str(expected["regex"]), text, re.S) is not None,
            "startswith" not in expected or text.startswith(str(expected["startswith"])),
        ))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return expected == actual


def _buttons(expected: list, actual: list[list[str]]) -> bool:
    if expected and not isinstance(expected[0], list):
        return matches(expected, [label for row in actual for label in row])
    return matches(expected, actual)


def compare_message(expected: dict, actual: Shown) -> list[str]:
    problems = []
    if "text" in expected and not matches(expected["text"], actual.text):
        problems.append(f"text: expected {expected['text']!r}, got {actual.text!r}")
    if "photo" in expected and not _same_photo(expected["photo"], actual.photo):
        problems.append(f"photo: expected {expected['photo']!r}, got {actual.photo!r}")
    if "buttons" in expected and not _buttons(expected["buttons"], actual.buttons):
        problems.append(f"buttons: expected {expected['buttons']!r}, got {actual.buttons!r}")
    if "edited" in expected and bool(expected["edited"]) != (actual.kind == "edit"):
        wanted = "edited in place" if expected["edited"] else "sent new"
        problems.append(f"expected the message {wanted}"
                        f", but it was {'edited' if actual.kind == 'edit' else 'sent new'}")
    if "new" in expected and bool(expected["new"]) != (actual.kind == "send"):
        problems.append(f"expected a {'new' if expected['new'] else 'edited'} message, got "
                        f"{'a new' if actual.kind == 'send' else 'an edited'} one")
    return problems


def compare(step, result: StepResult, state: str | None, data: dict,
            probes: dict[str, object]) -> list[str]:
    """Every way ``result`` differs from ``step``'s expectations (empty when it matches)."""
    problems: list[str] = []
    if result.inline and not result.pressed:
        problems.append("the button press was never answered (answerCallbackQuery)")
    if len(result.answers) > 1:
        problems.append(f"the button press was answered {len(result.answers)} times")
    if step.expect is not None:
        if len(step.expect) != len(result.shown):
            problems.append(f"expected {len(step.expect)} message(s), the bot showed "
                            f"{len(result.shown)}")
        pairs = zip(step.expect, result.shown, strict=False)  # a count mismatch is said above
        for index, (expected, actual) in enumerate(pairs, start=1):
            problems.extend(f"message {index}: {p}" for p in compare_message(expected, actual))
    for name, expected_there in getattr(step, "also", {}).items():
        shown = result.others.get(name, [])
        if len(expected_there) != len(shown):
            problems.append(f"in {name}: expected {len(expected_there)} message(s), the bot "
                            f"showed {len(shown)}")
        for index, (expected, actual) in enumerate(zip(expected_there, shown, strict=False),
                                                   start=1):
            problems.extend(f"in {name}, message {index}: {p}"
                            for p in compare_message(expected, actual))
    if step.toast is not ...:
        toast = result.answers[-1] if result.answers else None
        if not result.answers:
            problems.append(f"toast: expected {step.toast!r}, but no button press was answered")
        elif not matches(step.toast, toast):
            problems.append(f"toast: expected {step.toast!r}, got {toast!r}")
    if step.keyboard is not None and not matches(step.keyboard, result.keyboard):
        problems.append(f"keyboard: expected {step.keyboard!r}, got {result.keyboard!r}")
    if step.state is not None and step.state != state:
        problems.append(f"state: expected {step.state!r}, got {state!r}")
    for key, value in step.data.items():
        if not matches(value, data.get(key)):
            problems.append(f"data.{key}: expected {value!r}, got {data.get(key)!r}")
    for name, value in step.probe.items():
        if not matches(value, probes.get(name)):
            problems.append(f"probe {name}: expected {value!r}, got {probes.get(name)!r}")
    return problems


def _same_photo(expected: object, actual: str | None) -> bool:
    """A photo matches by value, or by file name (an upload seen end-to-end has no folder)."""
    if matches(expected, actual):
        return True
    if isinstance(expected, str) and actual:
        return expected.rsplit("/", 1)[-1] == actual.rsplit("/", 1)[-1]
    return False
