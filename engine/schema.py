"""Structural validation of a flow file against ``flow.schema.yaml`` (JSON Schema)."""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from engine.errors import Problem
from engine.yamlpos import Located

SCHEMA_FILE = Path(__file__).with_name("flow.schema.yaml")
_TYPES = {"object": "a mapping", "array": "a list", "string": "a string",
          "integer": "an integer", "boolean": "true or false", "number": "a number"}


@lru_cache(maxsize=1)
def flow_schema() -> dict:
    """The JSON Schema of a flow file (also published for editors as ``flow.schema.yaml``)."""
    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _kind(value: object) -> str:
    for name, types in (("a mapping", dict), ("a list", list), ("true/false", bool),
                        ("an integer", int), ("a string", str)):
        if isinstance(value, types):
            return name
    return "nothing" if value is None else type(value).__name__


def _expected_type(expected: object) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPES.get(n, str(n)) for n in names)


def _problems(doc: Located, error: jsonschema.ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in value:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            msg = f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
            if hint:
                msg += f" (did you mean {hint[0]!r}?)"
            out.append(doc.at((*path, key), msg, key=True))
        return out
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [doc.at(path, f"missing required key {missing!r}")]
    if kind == "type":
        return [doc.at(path, f"expected {_expected_type(error.validator_value)}, "
                             f"got {_kind(value)} {value!r}"[:200])]
    if kind == "pattern" and "propertyNames" in error.schema_path:
        return [doc.at((*path, value), f"{value!r} is not a valid name: expected lower_snake_case",
                       key=True)]
    if kind == "pattern":
        pattern = error.validator_value
        what = ("a dotted name like 'cart.add'" if "\\." in pattern
                else "a lower_snake_case name" if pattern.startswith("^[a-z][a-z0-9_]*") else
                f"a value matching {pattern}")
        return [doc.at(path, f"{value!r} is not {what}")]
    if kind == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return [doc.at(path, f"{value!r} is not one of {options}")]
    if kind == "propertyNames":
        bad = error.instance
        return [doc.at((*path, bad), f"{bad!r} is not a valid name: expected lower_snake_case",
                       key=True)]
    return [doc.at(path, error.message)]


def check_structure(doc: Located) -> list[Problem]:
    """Every structural problem of ``doc``, each located at the offending key or value."""
    validator = jsonschema.Draft202012Validator(flow_schema())
    problems: list[Problem] = []
    for error in validator.iter_errors(doc.data):
        if error.validator in ("if", "then", "else"):
            continue
        problems.extend(_problems(doc, error))
    return problems
