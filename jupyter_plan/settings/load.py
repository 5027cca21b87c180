"""Where settings come from and their precedence, defined once in :func:`load_settings`:
defaults < user ``settings.json`` < project ``.jupyter_plan/settings.json`` < environment < flags.
Reading never writes anything, and only pydantic + the stdlib are imported (cheap at kernel start).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jupyter_plan.settings.errors import (
    LAYERS,
    Layer,
    SettingsError,
    Source,
    describe,
    explain_error,
    show,
)
from jupyter_plan.settings.model import (
    API_KEY_ENV,
    CURRENT_VERSION,
    ENV_VARS,
    PROJECT_MARKER,
    SETTINGS_FILE,
    USER_DIR_ENV,
    ResolvedSettings,
    Settings,
    model_leaves,
)

# Keys a settings file may not hold. api_key: secrets never live in files. In a project file
# (it arrives with a cloned repository): policy_paths would add *user*-tier policies (tier
# escalation, §6); api_base would choose where the person's key and data are sent.
_NO_KEY = f"keys must never be written to files; set the environment variable {API_KEY_ENV}."
_FILE_FORBIDDEN: dict[Layer, dict[str, str]] = {
    "user": {"api_key": _NO_KEY},
    "project": {
        "api_key": _NO_KEY,
        "policy_paths": "a project cannot add user-tier policies; put policy files in "
        ".jupyter_plan/policies/ (the workspace tier) or list them in your user settings file.",
        "api_base": "a project cannot choose where your API key and data are sent; set it in "
        "your user settings file, the environment variable JUPYTER_PLAN_API_BASE or --api-base.",
    },
}
# Values a project file may not choose: a cloned repository must not turn off the asking.
_PROJECT_FORBIDDEN_VALUES = {("default_approval_mode", "yolo")}


def user_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$JUPYTER_PLAN_USER_DIR`` if set, else ``~/.jupyter_plan``."""
    raw = env.get(USER_DIR_ENV)
    return Path(raw).expanduser().absolute() if raw else Path.home() / PROJECT_MARKER


def find_project_root(start: Path | str, *, exclude: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``.jupyter_plan/``, else ``start``.

    ``start`` may be a notebook file. ``exclude`` is the user dir: ``~/.jupyter_plan`` must not
    make the home folder a project (the user file would be read twice, once as a project file).
    """
    folder = Path(start).expanduser().absolute()
    if folder.is_file():
        folder = folder.parent
    skip = os.path.realpath(exclude) if exclude is not None else None
    for candidate in (folder, *folder.parents):
        marker = candidate / PROJECT_MARKER
        if marker.is_dir() and os.path.realpath(marker) != skip:
            return candidate
    return folder


def migrate(data: Mapping[str, Any], *, source: Source | None = None) -> dict[str, Any]:
    """Bring one file's dict to the current version; pure (the input is not modified)."""
    out = copy.deepcopy(dict(data))
    version = out.get("version", 0)  # files from before versioning are version 0
    if type(version) is not int or not 0 <= version <= CURRENT_VERSION:  # bool is not a version
        raise SettingsError(
            f"{source or 'settings'}: `version` = {show(version)} is not supported; this "
            f"jupyter-plan reads versions 0 to {CURRENT_VERSION} (upgrade it for newer files).",
            source=source,
            key="version",
        )
    while version < CURRENT_VERSION:
        out = _MIGRATIONS[version](out)
        version += 1
    out["version"] = CURRENT_VERSION
    return out


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    # v0: "plan" was the directory string, and plan mode hid behind experimental.plan.
    if isinstance(data.get("plan"), str):
        data["plan"] = {"directory": data["plan"]}
    experimental = data.get("experimental")
    if isinstance(experimental, dict) and "plan" in experimental:
        plan = data.setdefault("plan", {})
        if isinstance(plan, dict):
            plan["enabled"] = experimental.pop("plan")
        if not experimental:
            del data["experimental"]
    return data


_MIGRATIONS = {0: _v0_to_v1}  # version N -> function producing version N + 1


def load_settings(
    start_dir: Path | str,
    env: Mapping[str, str] = os.environ,
    flags: Mapping[str, Any] | None = None,
) -> ResolvedSettings:
    """Resolve settings for a notebook in ``start_dir``: the one place precedence is defined.

    ``flags`` use setting keys (``"model"``, ``"plan.directory"`` or nested dicts); ``None``
    values mean "not given". Each source is validated on its own first, so an error names it.
    """
    udir = user_dir(env)
    root = find_project_root(start_dir, exclude=udir)
    layers: list[tuple[dict[str, Any], dict[str, Source]]] = []
    files: list[Path] = []
    paths: tuple[tuple[Layer, Path], ...] = (
        ("user", udir / SETTINGS_FILE),
        ("project", root / PROJECT_MARKER / SETTINGS_FILE),
    )
    for layer, path in paths:
        if (data := _read_file(path, layer)) is not None:
            files.append(path)
            layers.append((data, dict.fromkeys(_leaves(data), Source(layer, str(path)))))
    given = {key: var for var, key in ENV_VARS.items() if env.get(var)}
    env_sources = {key: Source("env", var) for key, var in given.items()}
    layers.append(({key: env[var] for key, var in given.items()}, env_sources))
    flag_data: dict[str, Any] = {}
    for key, value in (flags or {}).items():
        nested = value
        for part in reversed(key.split(".")):  # "plan.directory" -> {"plan": {"directory": ...}}
            nested = {part: nested}
        flag_data = _deep_merge(flag_data, _drop_none(nested))
    flag_sources = {k: Source("flag", "--" + k.replace("_", "-")) for k in _leaves(flag_data)}
    layers.append((flag_data, flag_sources))
    merged: dict[str, Any] = {}
    sources: dict[str, Source] = {key: Source("default") for key, _ in model_leaves(Settings)}
    for data, layer_sources in layers:
        _validate(data, layer_sources)
        merged = _deep_merge(merged, data)
        sources.update(layer_sources)
    settings = _validate(merged, sources)
    for name in Settings.model_fields:  # a nested key's source is the highest of its leaves
        if name not in sources:
            children = [s for k, s in sources.items() if k.startswith(name + ".")]
            sources[name] = max(children, key=lambda s: LAYERS.index(s.layer))
    return ResolvedSettings(settings, root, udir, tuple(files), sources)


def reference_table() -> str:
    """The Markdown reference table of every key (docs/settings.md embeds it verbatim)."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, info in model_leaves(Settings):
        default = show(info.get_default(call_default_factory=True), limit=None)
        text = (info.description or "").replace("|", "\\|")
        rows.append(
            f"| `{key}` | {describe(info.annotation, info.metadata)} | `{default}` | {text} |"
        )
    return "\n".join(rows)


# --- internals -----------------------------------------------------------------------------


def _read_file(path: Path, layer: Layer) -> dict[str, Any] | None:
    source = Source(layer, str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: tolerate a Windows BOM
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{source}: cannot read it ({exc}).", source=source) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
            source=source,
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(
            f"{source}: expected a JSON object {{...}}, got {show(data)}.", source=source
        )
    for key, reason in _FILE_FORBIDDEN.get(layer, {}).items():
        if key in data:  # never echo the value: it may be a secret
            raise SettingsError(
                f"{source}: `{key}` is not allowed in a settings file: {reason}",
                source=source,
                key=key,
            )
    for key, value in _PROJECT_FORBIDDEN_VALUES if layer == "project" else ():
        if data.get(key) == value:
            raise SettingsError(
                f"{source}: `{key}: {value}` is not allowed in a project file: a cloned "
                f"project cannot turn off asking; choose {value} in your user settings, or "
                f"with %plan mode {value}, if you mean it.",
                source=source,
                key=key,
            )
    return migrate(data, source=source)


def _validate(data: Mapping[str, Any], sources: Mapping[str, Source]) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = [explain_error(err, Settings, sources) for err in exc.errors(include_url=False)]
    # Raised outside the except block: no chained pydantic text (which could echo a secret).
    source, key, first = problems[0]
    message = (
        first
        if len(problems) == 1
        else (f"{len(problems)} settings problems:\n" + "\n".join(f"- {p[2]}" for p in problems))
    )
    raise SettingsError(message, source=source, key=key)


def _leaves(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            out += _leaves(value, f"{prefix}{key}.")
        else:
            out.append(prefix + key)
    return out


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Nested dicts merge key by key; anything else (lists too) replaces the lower value."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value
