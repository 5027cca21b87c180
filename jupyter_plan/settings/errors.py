"""Settings problems told in one sentence each: where the value came from, and what is allowed.

A raw pydantic ``ValidationError`` is written for programmers and can echo a secret. A person
fixing a settings file needs ``<source>: `key` = value is not valid; expected <what>.``, with a
did-you-mean for a misspelt key. This module holds that wording: :class:`Source` (the phrase
naming a value's origin), :class:`SettingsError`, the translation of one pydantic error, and
the description of what a field accepts, which the reference table in docs/settings.md
shares. It sits below the model (``model.py``) and the loading (``load.py``): the model is
passed in, so nothing here imports them.
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

Layer = Literal["default", "user", "project", "env", "flag"]
#: The precedence order of the layers, lowest first.
LAYERS: tuple[Layer, ...] = ("default", "user", "project", "env", "flag")


@dataclass(frozen=True)
class Source:
    """Where a value came from; ``str()`` is the phrase used in messages."""

    layer: Layer
    name: str = ""  # file path, environment variable or flag

    def __str__(self) -> str:
        return f"{_PHRASES[self.layer]} {self.name}".strip()


_PHRASES = {
    "default": "default",
    "user": "user settings file",
    "project": "project settings file",
    "env": "environment variable",
    "flag": "flag",
}


class SettingsError(ValueError):
    """An invalid source; the message names the source, key, value and what is allowed."""

    def __init__(self, message: str, *, source: Source | None = None, key: str | None = None):
        super().__init__(message)
        self.source = source
        self.key = key


def explain_error(
    err: Any, model: type[BaseModel], sources: Mapping[str, Source]
) -> tuple[Source, str, str]:
    """One pydantic error of ``model`` as (source, dotted key, sentence naming both)."""
    loc: tuple[str | int, ...] = tuple(err["loc"])
    key, source = _dotted(loc), _attribute(loc, sources)
    if err["type"] == "extra_forbidden":
        parent = _field_at(model, loc[:-1])
        known = list(parent[0].model_fields) if parent and is_model(parent[0]) else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        where = f" in `{_dotted(loc[:-1])}`" if len(loc) > 1 else ""
        text = f"unknown key `{key}`{hint}; known keys{where}: {', '.join(known)}."
        return source, key, f"{source}: {text}"
    shown = "<hidden>" if loc[:1] == ("api_key",) else show(err["input"])
    found = _field_at(model, loc)
    if err["type"] == "value_error":
        allowed = str(err["ctx"]["error"])
    elif found is not None:
        allowed = describe(*found)
    else:
        allowed = str(err["msg"]).lower()
    return source, key, f"{source}: `{key}` = {shown} is not valid; expected {allowed}."


def _attribute(loc: tuple[str | int, ...], sources: Mapping[str, Source]) -> Source:
    """The source of the value at ``loc``, else of the nearest enclosing key."""
    key = ".".join(p for p in loc if isinstance(p, str))
    while key and key not in sources:
        key = key.rpartition(".")[0]
    return sources.get(key) or next(iter(sources.values()), Source("default"))


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return text


def show(value: Any, limit: int | None = 80) -> str:
    """``value`` as JSON, cut to ``limit`` characters (``None``: whole)."""
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (it, False)."""
    args = typing.get_args(annotation)
    return (args[0], True) if type(None) in args else (annotation, False)


def is_model(annotation: Any) -> typing.TypeGuard[type[BaseModel]]:
    """Is ``annotation`` a pydantic model class (a nested settings section)?"""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[Any, list[Any]] | None:
    """The annotation and constraints at ``loc`` in ``model``, walking nested models and lists."""
    annotation: Any = model
    metadata: list[Any] = []
    for part in loc:
        annotation = _unwrap(annotation)[0]
        if isinstance(part, str) and is_model(annotation) and part in annotation.model_fields:
            info = annotation.model_fields[part]
            annotation, metadata = info.annotation, list(info.metadata)
        elif isinstance(part, int) and typing.get_origin(annotation) in (list, tuple):
            annotation, metadata = typing.get_args(annotation)[0], []
        else:
            return None
    return annotation, metadata


def describe(annotation: Any, metadata: list[Any]) -> str:
    """What a value must be, in words: used by error messages and the docs table alike."""
    annotation, nullable = _unwrap(annotation)
    if typing.get_origin(annotation) is Literal:
        text = "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    elif is_model(annotation):
        text = "an object with keys " + ", ".join(annotation.model_fields)
    elif annotation is bool:
        text = "true or false"
    elif annotation is int:
        bounds = [f"> {m.gt}" for m in metadata if getattr(m, "gt", None) is not None]
        bounds += [f">= {m.ge}" for m in metadata if getattr(m, "ge", None) is not None]
        text = " ".join(["an integer", *bounds])
    elif annotation in (str, SecretStr):
        short = any(getattr(m, "min_length", None) for m in metadata)
        text = "a non-empty string" if short else "a string"
    elif typing.get_origin(annotation) in (list, tuple):
        text = "a list of strings"
    else:
        text = getattr(annotation, "__name__", str(annotation))
    return text + " or null" if nullable else text
