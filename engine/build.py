"""Turn structurally checked YAML into the dataclasses of :mod:`engine.spec`.

The builders are defensive: a file with structural problems still yields what can be
built, so that cross-reference checks report their problems in the same run.
"""

from __future__ import annotations

from engine import spec
from engine.yamlpos import Located, format_path


def _where(doc: Located, path: tuple) -> spec.Where:
    line, column = doc.values.get(path, (1, 1))
    return spec.Where(doc.file, line, column, format_path(path))


def _names(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text(value) -> spec.Text | None:
    return spec.Text(value) if isinstance(value, str) and value else None


def _button(doc: Located, raw: dict, path: tuple) -> spec.Button | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
        return None
    args = raw.get("args") if isinstance(raw.get("args"), dict) else {}
    return spec.Button(label=spec.Text(raw["label"]), trigger=str(raw.get("trigger", "")),
                       args={str(k): str(v) for k, v in args.items()}, when=raw.get("when"),
                       unless=raw.get("unless"), where=_where(doc, path))


def _buttons(doc: Located, entries, path: tuple) -> list[spec.Row | spec.Each]:
    out: list[spec.Row | spec.Each] = []
    for i, raw in enumerate(entries if isinstance(entries, list) else []):
        at = (*path, i)
        if not isinstance(raw, dict):
            continue
        if "each" in raw:
            button = _button(doc, raw, at)
            row = [b for j, r in enumerate(raw.get("row") or []) if
                   (b := _button(doc, r, (*at, "row", j)))]
            if (button or row) and isinstance(raw["each"], str):
                out.append(spec.Each(source=raw["each"], button=button, row=row,
                                     columns=raw.get("columns", 1), page_size=raw.get("page_size"),
                                     where=_where(doc, (*at, "each"))))
        elif "row" in raw:
            row = [b for j, r in enumerate(raw["row"] or [])
                   if (b := _button(doc, r, (*at, "row", j)))]
            out.append(spec.Row(row))
        elif (button := _button(doc, raw, at)) is not None:
            out.append(spec.Row([button]))
    return out


def _keyboard(doc: Located, raw, path: tuple) -> spec.Keyboard | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("buttons"), list):
        return None
    buttons = [spec.KeyboardButton(label=spec.Text(b["label"]), trigger=b.get("trigger"),
                                   request_contact=bool(b.get("request_contact")),
                                   when=b.get("when"), unless=b.get("unless"),
                                   where=_where(doc, (*path, "buttons", i)))
               for i, b in enumerate(raw["buttons"])
               if isinstance(b, dict) and isinstance(b.get("label"), str)]
    return spec.Keyboard(buttons=buttons, columns=raw.get("columns", 2))


def _screen(doc: Located, raw, path: tuple) -> spec.Screen:
    if not isinstance(raw, dict):
        return spec.Screen()
    each = raw.get("each_message")
    each_message = None
    if isinstance(each, dict) and isinstance(each.get("source"), str):
        each_message = spec.EachMessage(
            source=each["source"], text=spec.Text(str(each.get("text", ""))),
            photo=each.get("photo"),
            page_size=each.get("page_size", 5),
            buttons=_buttons(doc, each.get("buttons"), (*path, "each_message", "buttons")),
            empty=_text(each.get("empty")), where=_where(doc, (*path, "each_message")))
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    wheres = {key: _where(doc, (*path, key)) for key in raw if (*path, key) in doc.values}
    return spec.Screen(wheres=wheres, text=_text(raw.get("text")), photo=raw.get("photo"),
                       mode=raw.get("mode", "edit"), data=dict(data),
                       buttons=_buttons(doc, raw.get("buttons"), (*path, "buttons")),
                       keyboard=_keyboard(doc, raw.get("keyboard"), (*path, "keyboard")),
                       each_message=each_message)


def states(doc: Located, flow: str) -> list[spec.State]:
    raw_states = doc.data.get("states") if isinstance(doc.data, dict) else None
    out = []
    for name, raw in (raw_states or {}).items() if isinstance(raw_states, dict) else []:
        raw = raw if isinstance(raw, dict) else {}
        path = ("states", name)
        inp = raw.get("input")
        input_spec = None
        if isinstance(inp, dict) and isinstance(inp.get("trigger"), str):
            input_spec = spec.Input(trigger=inp["trigger"], kind=inp.get("kind", "text"),
                                    validator=inp.get("validator"), save_as=inp.get("save_as"),
                                    error=_text(inp.get("error")),
                                    where=_where(doc, (*path, "input")))
        line, column = doc.keys.get(path, (1, 1))
        out.append(spec.State(
            name=name, params=[p for p in raw.get("params") or [] if isinstance(p, str)],
            on_enter=_names(raw.get("on_enter")),
            screen=_screen(doc, raw.get("screen"), (*path, "screen")),
            input=input_spec, description=str(raw.get("description", "")), flow=flow,
            where=spec.Where(doc.file, line, column, format_path(path))))
    return out


def transitions(doc: Located) -> list[spec.Transition]:
    raw_list = doc.data.get("transitions") if isinstance(doc.data, dict) else None
    out = []
    for i, raw in enumerate(raw_list if isinstance(raw_list, list) else []):
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), (str, list))
                                                for k in ("trigger", "source", "dest")):
            continue
        source = raw["source"]
        out.append(spec.Transition(
            trigger=str(raw["trigger"]),
            source=[source] if isinstance(source, str) else _names(source),
            dest=str(raw["dest"]), conditions=_names(raw.get("conditions")),
            unless=_names(raw.get("unless")), before=_names(raw.get("before")),
            after=_names(raw.get("after")), toast=_text(raw.get("toast")),
            reset_history=bool(raw.get("reset_history")),
            description=str(raw.get("description", "")),
            where=_where(doc, ("transitions", i))))
    return out


def bot(doc: Located) -> spec.BotSpec | None:
    raw = doc.data.get("bot") if isinstance(doc.data, dict) else None
    if not isinstance(raw, dict):
        return None
    languages = [x for x in raw.get("languages") or ["en"] if isinstance(x, str)]
    commands = [spec.Command(command=c["command"], trigger=c["trigger"],
                             description=_text(c.get("description")))
                for c in raw.get("commands") or [] if isinstance(c, dict)
                and isinstance(c.get("command"), str) and isinstance(c.get("trigger"), str)]
    parse_mode = raw.get("parse_mode", "HTML")
    return spec.BotSpec(
        start=str(raw.get("start", "")), name=str(raw.get("name", "bot")), languages=languages,
        default_language=raw.get("default_language", languages[0] if languages else "en"),
        parse_mode=None if parse_mode == "none" else parse_mode,
        fallback=_text(raw.get("fallback")) or spec.Text("engine.unexpected"),
        keyboard=_keyboard(doc, raw.get("keyboard"), ("bot", "keyboard")), commands=commands,
        history_limit=raw.get("history_limit", 20), texts_dir=raw.get("texts"),
        renamed=dict(raw.get("renamed") or {}),
        where=_where(doc, ("bot",)))
