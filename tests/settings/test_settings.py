"""Settings: defaults, the five sources and their precedence, migration, errors, secrets, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_plan.settings import (
    CURRENT_VERSION,
    Layer,
    ResolvedSettings,
    Settings,
    find_project_root,
    load_settings,
    migrate,
    reference_table,
    user_dir,
)
from jupyter_plan.settings.errors import SettingsError, Source

SECRET = "sk-test-0123456789abcdef"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


class World:
    """A user dir, a project with a ``.jupyter_plan/`` folder, and a notebook folder deep inside."""

    def __init__(self, tmp: Path) -> None:
        self.user = tmp / "home" / "user-settings"
        self.project = tmp / "work" / "proj"
        self.notebooks = self.project / "analysis" / "2024"
        self.notebooks.mkdir(parents=True)
        (self.project / ".jupyter_plan").mkdir()
        self.env: dict[str, str] = {"JUPYTER_PLAN_USER_DIR": str(self.user)}

    @property
    def user_file(self) -> Path:
        return self.user / "settings.json"

    @property
    def project_file(self) -> Path:
        return self.project / ".jupyter_plan" / "settings.json"

    def write(self, layer: str, data: Any) -> Path:
        path = self.user_file if layer == "user" else self.project_file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    def load(
        self, flags: dict[str, Any] | None = None, env: dict[str, str] | None = None
    ) -> ResolvedSettings:
        return load_settings(self.notebooks, env={**self.env, **(env or {})}, flags=flags)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


# --- defaults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("version", 1),
        ("model", None),
        ("api_base", None),
        ("api_key", None),
        ("default_approval_mode", "default"),
        ("plan.directory", ".jupyter_plan/plans"),
        ("plan.enabled", True),
        ("policy_paths", ()),
        ("context_budget_tokens", 8000),
        ("max_turns", 40),
        ("replay", "auto"),
        ("audit.enabled", False),
        ("audit.path", ".jupyter_plan/audit.jsonl"),
    ],
)
def test_defaults(world: World, key: str, expected: Any) -> None:
    resolved = world.load()
    value: Any = resolved.settings
    for part in key.split("."):
        value = getattr(value, part)
    assert value == expected
    assert resolved.source_of(key) == Source("default")
    assert resolved.files == ()
    assert resolved.settings == Settings()


# --- precedence --------------------------------------------------------------------------------

LAYER_CASES = [
    # (layers given, expected model, expected source layer)
    ((), None, "default"),
    (("user",), "user/m", "user"),
    (("user", "project"), "project/m", "project"),
    (("user", "project", "env"), "env/m", "env"),
    (("user", "project", "env", "flag"), "flag/m", "flag"),
    (("project", "flag"), "flag/m", "flag"),
    (("user", "env"), "env/m", "env"),
]


@pytest.mark.parametrize(("layers", "expected", "layer"), LAYER_CASES)
def test_each_source_overrides_the_one_below(
    world: World, layers: tuple[str, ...], expected: str | None, layer: str
) -> None:
    env: dict[str, str] = {}
    flags: dict[str, Any] = {}
    for name in layers:
        if name in ("user", "project"):
            world.write(name, {"model": f"{name}/m"})
        elif name == "env":
            env["JUPYTER_PLAN_MODEL"] = "env/m"
        else:
            flags["model"] = "flag/m"
    resolved = world.load(flags, env)
    assert resolved.settings.model == expected
    assert resolved.source_of("model").layer == layer
    written = [world.user_file, world.project_file]
    assert resolved.files == tuple(p for p in written if p.exists())


def test_nested_keys_deep_merge_across_all_layers(world: World) -> None:
    world.write("user", {"plan": {"directory": "u/plans"}, "audit": {"path": "u.jsonl"}})
    world.write("project", {"plan": {"enabled": False}, "audit": {"enabled": True}})
    resolved = world.load({"audit.path": "flag.jsonl", "max_turns": 7})
    s = resolved.settings
    assert (s.plan.directory, s.plan.enabled) == ("u/plans", False)
    assert (s.audit.enabled, s.audit.path) == (True, "flag.jsonl")
    assert s.max_turns == 7
    assert resolved.source_of("plan.directory").layer == "user"
    assert resolved.source_of("plan.enabled").layer == "project"
    assert resolved.source_of("plan").layer == "project"  # highest of its leaves
    assert resolved.source_of("audit").layer == "flag"
    assert resolved.source_of("replay").layer == "default"
    assert resolved.source_of("plan.enabled") == Source("project", str(world.project_file))


def test_lists_replace_rather_than_concatenate(world: World) -> None:
    world.write("user", {"policy_paths": ["a.toml", "b.toml"]})
    assert world.load().settings.policy_paths == ("a.toml", "b.toml")
    assert world.load({"policy_paths": ["c.toml"]}).settings.policy_paths == ("c.toml",)


def test_explain_names_the_source_of_every_value(world: World) -> None:
    world.write("project", {"max_turns": 9})
    text = world.load(env={"JUPYTER_PLAN_MODEL": "m/x"}).explain()
    assert f"max_turns = 9  (project settings file {world.project_file})" in text
    assert 'model = "m/x"  (environment variable JUPYTER_PLAN_MODEL)' in text
    assert 'replay = "auto"  (default)' in text


# --- finding the project ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 4])
def test_project_file_found_by_walking_up(world: World, depth: int) -> None:
    start = world.project.joinpath(*[f"d{i}" for i in range(depth)])
    start.mkdir(parents=True, exist_ok=True)
    world.write("project", {"max_turns": 3})
    resolved = load_settings(start, env=world.env)
    assert resolved.project_root == world.project
    assert resolved.files == (world.project_file,)
    assert resolved.settings.max_turns == 3


def test_a_notebook_path_is_accepted_as_start(world: World, tmp_path: Path) -> None:
    notebook = world.notebooks / "a.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    assert find_project_root(notebook) == world.project
    loose = tmp_path / "loose.ipynb"
    loose.write_text("{}", encoding="utf-8")
    assert find_project_root(loose) == tmp_path  # no marker: the notebook's folder


def test_nearest_project_wins(world: World) -> None:
    inner = world.notebooks / "sub"
    (inner / ".jupyter_plan").mkdir(parents=True)
    assert find_project_root(inner / "x") == inner  # a missing folder is treated as a folder
    assert find_project_root(world.notebooks) == world.project


def test_without_a_marker_the_notebook_folder_is_the_root(tmp_path: Path) -> None:
    resolved = load_settings(tmp_path, env={"JUPYTER_PLAN_USER_DIR": str(tmp_path / "u")})
    assert resolved.project_root == tmp_path
    assert resolved.plan_dir == tmp_path / ".jupyter_plan" / "plans"


def test_the_user_dir_does_not_make_home_a_project(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".jupyter_plan").mkdir(parents=True)
    (home / ".jupyter_plan" / "settings.json").write_text('{"max_turns": 5}', encoding="utf-8")
    notebooks = home / "notes"
    notebooks.mkdir()
    env = {"JUPYTER_PLAN_USER_DIR": str(home / ".jupyter_plan")}
    resolved = load_settings(notebooks, env=env)
    assert resolved.project_root == notebooks
    assert resolved.files == (home / ".jupyter_plan" / "settings.json",)  # read once, as user
    assert resolved.source_of("max_turns").layer == "user"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"JUPYTER_PLAN_USER_DIR": "/opt/jp"}, Path("/opt/jp")),
        ({"JUPYTER_PLAN_USER_DIR": ""}, Path.home() / ".jupyter_plan"),
        ({}, Path.home() / ".jupyter_plan"),
    ],
)
def test_user_dir(env: dict[str, str], expected: Path) -> None:
    assert user_dir(env) == expected


# --- environment and flags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "key"),
    [
        ("JUPYTER_PLAN_MODEL", "ollama/llama3", "model"),
        ("JUPYTER_PLAN_API_BASE", "http://127.0.0.1:4000", "api_base"),
    ],
)
def test_environment_variables(world: World, var: str, value: str, key: str) -> None:
    resolved = world.load(env={var: value})
    assert getattr(resolved.settings, key) == value
    assert resolved.source_of(key) == Source("env", var)
    assert str(resolved.source_of(key)) == f"environment variable {var}"


def test_api_key_from_environment(world: World) -> None:
    resolved = world.load(env={"JUPYTER_PLAN_API_KEY": SECRET})
    assert resolved.settings.api_key is not None
    assert resolved.settings.api_key.get_secret_value() == SECRET


def test_empty_environment_variable_counts_as_unset(world: World) -> None:
    world.write("project", {"model": "p/m"})
    assert world.load(env={"JUPYTER_PLAN_MODEL": ""}).settings.model == "p/m"


def test_process_environment_is_the_default(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JUPYTER_PLAN_MODEL", "JUPYTER_PLAN_API_BASE", "JUPYTER_PLAN_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JUPYTER_PLAN_USER_DIR", str(world.user))
    monkeypatch.setenv("JUPYTER_PLAN_MODEL", "env/m")
    world.write("user", {"max_turns": 2})
    resolved = load_settings(world.notebooks)
    assert (resolved.settings.model, resolved.settings.max_turns) == ("env/m", 2)


@pytest.mark.parametrize(
    ("flags", "key", "expected", "layer"),
    [
        ({"model": None}, "model", "p/m", "project"),
        ({"model": "f/m"}, "model", "f/m", "flag"),
        ({"max_turns": None, "replay": "never"}, "max_turns", 12, "project"),
        ({"plan.directory": "f/plans"}, "plan.directory", "f/plans", "flag"),
        ({"plan": {"directory": None, "enabled": False}}, "plan.directory", "p/plans", "project"),
        ({"plan": {"directory": None, "enabled": False}}, "plan.enabled", False, "flag"),
        ({"default_approval_mode": "yolo"}, "default_approval_mode", "yolo", "flag"),
    ],
)
def test_flags_with_none_are_ignored(
    world: World, flags: dict[str, Any], key: str, expected: Any, layer: str
) -> None:
    world.write("project", {"model": "p/m", "max_turns": 12, "plan": {"directory": "p/plans"}})
    resolved = world.load(flags)
    value: Any = resolved.settings
    for part in key.split("."):
        value = getattr(value, part)
    assert value == expected
    assert resolved.source_of(key).layer == layer


def test_flag_source_is_named_like_a_flag(world: World) -> None:
    resolved = world.load({"context_budget_tokens": 1000})
    assert str(resolved.source_of("context_budget_tokens")) == "flag --context-budget-tokens"


# --- migration -------------------------------------------------------------------------------

MIGRATIONS = [
    ({"plan": "some/dir"}, {"version": 1, "plan": {"directory": "some/dir"}}),
    ({"version": 0, "experimental": {"plan": True}}, {"version": 1, "plan": {"enabled": True}}),
    (
        {"experimental": {"plan": True, "other": 1}},
        {"version": 1, "plan": {"enabled": True}, "experimental": {"other": 1}},
    ),
    (
        {"plan": "d", "experimental": {"plan": False}},
        {"version": 1, "plan": {"directory": "d", "enabled": False}},
    ),
    ({"model": "m"}, {"version": 1, "model": "m"}),
    ({}, {"version": 1}),
    # already v1: untouched, even a v0-looking shape (validation will reject it)
    ({"version": 1, "plan": {"directory": "x"}}, {"version": 1, "plan": {"directory": "x"}}),
    ({"version": 1, "plan": "x"}, {"version": 1, "plan": "x"}),
]


@pytest.mark.parametrize(("old", "new"), MIGRATIONS)
def test_migrate(old: dict[str, Any], new: dict[str, Any]) -> None:
    before = json.dumps(old)
    assert migrate(old) == new
    assert json.dumps(old) == before  # pure: the input is left alone
    assert migrate(new) == new  # idempotent


@pytest.mark.parametrize("version", [CURRENT_VERSION + 1, 99, -1, "1", True, None, 1.5])
def test_migrate_rejects_unknown_versions(version: Any) -> None:
    source = Source("user", "/x/settings.json")
    with pytest.raises(SettingsError) as info:
        migrate({"version": version}, source=source)
    message = str(info.value)
    assert "user settings file /x/settings.json" in message
    assert json.dumps(version) in message
    assert info.value.key == "version"


def test_newer_file_is_rejected_naming_the_file(world: World) -> None:
    path = world.write("project", {"version": CURRENT_VERSION + 1})
    with pytest.raises(SettingsError, match="upgrade") as info:
        world.load()
    assert str(path) in str(info.value)


def test_old_file_is_migrated_when_loaded(world: World) -> None:
    world.write("project", {"plan": "notes/plans", "experimental": {"plan": False}})
    resolved = world.load()
    assert resolved.settings.plan.directory == "notes/plans"
    assert resolved.settings.plan.enabled is False
    assert resolved.plan_dir == world.project / "notes" / "plans"
    assert "version" not in json.loads(world.project_file.read_text())  # reading never writes


v0_shapes = st.fixed_dictionaries(
    {},
    optional={
        "plan": st.one_of(st.text(min_size=1), st.fixed_dictionaries({"directory": st.text()})),
        "experimental": st.dictionaries(
            st.sampled_from(["plan", "other"]), st.booleans(), max_size=2
        ),
        "model": st.text(),
    },
)


@given(v0_shapes)
def test_migrate_is_idempotent_and_keeps_only_known_changes(data: dict[str, Any]) -> None:
    once = migrate(data)
    assert migrate(once) == once
    assert once["version"] == CURRENT_VERSION
    assert once.get("model") == data.get("model")
    assert not isinstance(once.get("plan"), str)
    assert "plan" not in once.get("experimental", {})


# --- errors ----------------------------------------------------------------------------------

FILE_ERRORS = [
    # (file content, substrings the single message must contain)
    (
        {"default_approval_mode": "yolo2"},
        ["`default_approval_mode`", '"yolo2"', '"default", "auto_edit", "plan", "yolo"'],
    ),
    ({"replay": "sometimes"}, ["`replay`", '"sometimes"', '"auto", "always", "never"']),
    (
        {"modle": "x"},
        ["unknown key `modle`", "did you mean `model`", "known keys: version, model, api_base"],
    ),
    (
        {"plan": {"dir": "x"}},
        ["unknown key `plan.dir`", "known keys in `plan`: directory, enabled"],
    ),
    ({"max_turns": "many"}, ["`max_turns`", '"many"', "an integer >= 1"]),
    ({"max_turns": 0}, ["`max_turns`", "= 0 ", "an integer >= 1"]),
    ({"plan": {"enabled": "maybe"}}, ["`plan.enabled`", '"maybe"', "true or false"]),
    ({"plan": 5}, ["`plan`", "= 5 ", "an object with keys directory, enabled"]),
    ({"model": 5}, ["`model`", "= 5 ", "a non-empty string or null"]),
    ({"context_budget_tokens": -5}, ["`context_budget_tokens`", "-5", "an integer > 0"]),
    ({"plan": {"directory": "../out"}}, ["`plan.directory`", '"../out"', "inside the project"]),
    ({"audit": {"path": "/etc/passwd"}}, ["`audit.path`", '"/etc/passwd"', "relative path"]),
    ({"api_base": "localhost:4000"}, ["`api_base`", '"localhost:4000"', "http:// or https://"]),
    ([1, 2], ["expected a JSON object", "[1, 2]"]),
    ('{\n  "model": "x",\n}\n', ["invalid JSON at line 3, column 1"]),
    ('{"model": "x" "max_turns": 3}', ["invalid JSON at line 1, column 15", "delimiter"]),
    ({"version": 2}, ["`version` = 2", "upgrade"]),
    ({"api_key": SECRET}, ["`api_key` is not allowed", "JUPYTER_PLAN_API_KEY", "never"]),
]


@pytest.mark.parametrize("layer", ["user", "project"])
@pytest.mark.parametrize(("content", "expected"), FILE_ERRORS)
def test_invalid_file_gives_one_clear_error(
    world: World, layer: Layer, content: Any, expected: list[str]
) -> None:
    if layer == "project" and isinstance(content, dict) and "api_base" in content:
        expected = ["`api_base` is not allowed"]  # refused before its value is even read
    path = world.write(layer, content)
    with pytest.raises(SettingsError) as info:
        world.load()
    message = str(info.value)
    assert message.startswith(f"{layer} settings file {path}: ")
    for part in expected:
        assert part in message
    assert "\n" not in message  # one problem, one sentence
    assert "pydantic" not in message and "input_value" not in message
    assert SECRET not in message
    assert info.value.__suppress_context__ or info.value.__context__ is None
    assert info.value.source == Source(layer, str(path))


def test_several_problems_in_one_file_are_one_error(world: World) -> None:
    path = world.write("user", {"max_turns": 0, "replay": "x"})
    with pytest.raises(SettingsError) as info:
        world.load()
    lines = str(info.value).splitlines()
    assert lines[0] == "2 settings problems:"
    assert all(line.startswith(f"- user settings file {path}: ") for line in lines[1:])
    assert info.value.key == "max_turns"


def test_project_file_may_not_add_user_tier_policies(world: World) -> None:
    world.write("project", {"policy_paths": ["evil.toml"]})
    with pytest.raises(SettingsError, match=r"policy_paths.*\.jupyter_plan/policies/"):
        world.load()


def test_project_file_may_not_choose_where_the_key_goes(world: World) -> None:
    world.write("project", {"api_base": "https://collector.example/v1"})
    with pytest.raises(SettingsError) as info:
        world.load()
    message = str(info.value)
    assert "project settings file" in message and "`api_base` is not allowed" in message
    assert "JUPYTER_PLAN_API_BASE" in message
    assert "collector.example" not in message  # the value is never echoed
    world.write("project", {})
    world.write("user", {"api_base": "https://proxy.example/v1"})  # the person's own choice
    assert world.load().settings.api_base == "https://proxy.example/v1"


def test_project_file_may_not_choose_yolo(world: World) -> None:
    world.write("project", {"default_approval_mode": "yolo"})
    with pytest.raises(SettingsError, match=r"default_approval_mode: yolo.*project file"):
        world.load()
    world.write("project", {"default_approval_mode": "auto_edit"})
    assert world.load().settings.default_approval_mode == "auto_edit"
    world.write("project", {})
    world.write("user", {"default_approval_mode": "yolo"})
    assert world.load().settings.default_approval_mode == "yolo"


def test_a_bad_lower_layer_fails_even_when_overridden(world: World) -> None:
    world.write("user", {"replay": "bogus"})
    with pytest.raises(SettingsError, match="user settings file"):
        world.load({"replay": "never"})


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        (
            {"JUPYTER_PLAN_API_BASE": "localhost:4000"},
            None,
            ["environment variable JUPYTER_PLAN_API_BASE: `api_base`", '"localhost:4000"', "http"],
        ),
        ({}, {"max_turns": 0}, ["flag --max-turns: `max_turns` = 0", "an integer >= 1"]),
        (
            {},
            {"default_approval_mode": "nope"},
            ["flag --default-approval-mode", '"nope"', '"default", "auto_edit", "plan", "yolo"'],
        ),
        ({}, {"bogus": 1}, ["flag --bogus: unknown key `bogus`", "known keys: version"]),
        ({}, {"plan.directry": "x"}, ["flag --plan.directry", "did you mean `directory`"]),
        ({}, {"api_key": 12345678987}, ["flag --api-key: `api_key` = <hidden>", "a string"]),
    ],
)
def test_invalid_environment_or_flag_names_its_source(
    world: World, env: dict[str, str], flags: dict[str, Any] | None, expected: list[str]
) -> None:
    with pytest.raises(SettingsError) as info:
        world.load(flags, env)
    for part in expected:
        assert part in str(info.value)
    assert "12345678987" not in str(info.value)


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        repr,
        str,
        lambda s: s.model_dump_json(),
        lambda s: json.dumps(s.model_dump(mode="json")),
        lambda s: str(s.model_dump()),
    ],
)
def test_api_key_never_shown(render: Any) -> None:
    settings = Settings(api_key=SECRET)
    assert SECRET not in render(settings)
    assert settings.api_key is not None and settings.api_key.get_secret_value() == SECRET


def test_api_key_never_shown_by_resolved_settings(world: World) -> None:
    resolved = world.load({"api_key": SECRET})
    assert SECRET not in repr(resolved)
    assert SECRET not in resolved.explain()
    assert 'api_key = "**********"  (flag --api-key)' in resolved.explain()


def test_direct_validation_errors_hide_the_key() -> None:
    # A key pasted into the wrong field must not be echoed by pydantic's own error text either.
    with pytest.raises(ValueError) as info:
        Settings(api_key=SECRET, api_base=SECRET)
    assert SECRET not in str(info.value)


# --- paths, purity, import weight ------------------------------------------------------------


def test_paths_resolve_against_the_project_root(world: World) -> None:
    world.write("user", {"policy_paths": ["mine.toml"], "plan": {"directory": "p"}})
    resolved = world.load()
    assert resolved.plan_dir == world.project / "p"
    assert (
        resolved.settings.audit_file(world.project) == world.project / ".jupyter_plan/audit.jsonl"
    )
    assert resolved.policy_files() == [world.user / "mine.toml"]  # user file: user-dir relative


def test_reading_never_writes(world: World) -> None:
    world.write("project", {"plan": "old/style"})
    before = sorted((p, p.stat().st_mtime_ns) for p in world.project.parent.parent.rglob("*"))
    world.load({"model": "x"})
    after = sorted((p, p.stat().st_mtime_ns) for p in world.project.parent.parent.rglob("*"))
    assert after == before
    assert not world.user.exists()


def test_import_is_light() -> None:
    code = (
        "import sys; before = set(sys.modules); import jupyter_plan.settings; "
        "print('\\n'.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    allowed = {"jupyter_plan", "pydantic", "pydantic_core", "annotated_types", "typing_extensions"}
    allowed |= {"typing_inspection"} | set(sys.stdlib_module_names)
    loaded = {m for m in out.stdout.split() if not m.startswith("_sysconfigdata")}
    assert loaded <= allowed


# --- docs ------------------------------------------------------------------------------------


def test_docs_embed_the_generated_reference_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("<!-- BEGIN settings-table -->\n", 1)[1].split("\n<!-- END", 1)[0]
    assert table == reference_table(), (
        "docs/settings.md is stale; paste the output of "
        "`python -c 'from jupyter_plan.settings import reference_table; print(reference_table())'`"
    )


@pytest.mark.parametrize("key", [*Settings.model_fields, "plan.directory", "audit.path"])
def test_every_field_is_documented(key: str) -> None:
    assert f"`{key}" in DOCS.read_text(encoding="utf-8")
