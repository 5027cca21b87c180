"""The settings model: every key, its type, default and documentation, and what a resolved
set of settings knows (values plus where each came from). Where values come from and in what
order is ``load.py``; how a problem is worded is ``errors.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo

from jupyter_plan.settings.errors import Source, is_model

CURRENT_VERSION = 1
PROJECT_MARKER = ".jupyter_plan"  # the folder holding it is the project root
SETTINGS_FILE = "settings.json"
USER_DIR_ENV = "JUPYTER_PLAN_USER_DIR"
API_KEY_ENV = "JUPYTER_PLAN_API_KEY"
#: Environment variable -> setting key. Empty values count as "not set".
ENV_VARS: Mapping[str, str] = {
    "JUPYTER_PLAN_MODEL": "model",
    "JUPYTER_PLAN_API_BASE": "api_base",
    API_KEY_ENV: "api_key",
}

ApprovalMode = Literal["default", "auto_edit", "plan", "yolo"]
ReplayMode = Literal["auto", "always", "never"]


def _inside_project(value: str) -> str:
    # The plan directory is the only place plan mode may write, so it must not escape the project.
    path = PurePath(value)
    if not path.parts or path.is_absolute() or value[:1] in "/\\~" or ".." in path.parts:
        raise ValueError("a relative path inside the project root (not absolute, no '..')")
    return value


class _Strict(BaseModel):
    # extra="forbid" turns typos into errors; hide_input_in_errors keeps secrets out of raw
    # ValidationError text should anyone validate Settings directly.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class PlanSettings(_Strict):
    directory: str = Field(
        ".jupyter_plan/plans",
        description="Where plan files and transcripts are kept; a relative path inside the "
        "project root.",
    )
    enabled: bool = Field(True, description="Whether `%%plan` is available.")

    _check_directory = field_validator("directory")(_inside_project)


class PagesSettings(_Strict):
    directory: str = Field(
        ".jupyter_plan/pages",
        description="Where pages (the person's Markdown context documents) are kept; a relative "
        "path inside the project root.",
    )
    suggest_after_chars: int = Field(
        6000,
        gt=0,
        description="A plan longer than this (in characters) is offered to be turned into a page.",
    )

    _check_directory = field_validator("directory")(_inside_project)


class AuditSettings(_Strict):
    enabled: bool = Field(False, description="Record every policy decision as a JSON line.")
    path: str = Field(
        ".jupyter_plan/audit.jsonl",
        description="Audit log file; a relative path inside the project root.",
    )

    _check_path = field_validator("path")(_inside_project)


class Settings(_Strict):
    """Every setting of jupyter-plan; each field's description is its documentation."""

    version: int = Field(
        CURRENT_VERSION,
        description="Settings file format version. Older files are migrated when read; newer "
        "ones are refused.",
    )
    model: str | None = Field(
        None,
        min_length=1,
        description="litellm model string (`openai/gpt-4o`, `ollama/llama3`, ...); null means "
        "not configured.",
    )
    api_base: str | None = Field(
        None,
        description="Base URL of the model API, starting with http:// or https:// (a LiteLLM "
        "proxy, a local Ollama); null means the provider's default.",
    )
    api_key: SecretStr | None = Field(
        None,
        description=f"API key for the model API. Only from the environment variable {API_KEY_ENV}; "
        "a settings file holding it is an error. Null lets litellm use the provider's own "
        "variables (OPENAI_API_KEY, ...).",
    )
    default_approval_mode: ApprovalMode = Field(
        "default",
        description="Mode `%build` uses when no flag, `%plan mode` or approval chose one: `plan` "
        "read-only, `default` asks before each edit or run, `auto_edit` allows edits and asks "
        "for riskier calls, `yolo` allows everything no rule denies (not from a project file).",
    )
    plan: PlanSettings = Field(default_factory=PlanSettings, description="Plans.")
    pages: PagesSettings = Field(default_factory=PagesSettings, description="Pages.")
    policy_paths: tuple[str, ...] = Field(
        (),
        description="Extra policy TOML files or folders, loaded at the user tier; relative to "
        "the user dir. Not allowed in a project file.",
    )
    context_budget_tokens: int = Field(
        8000, gt=0, description="Token budget for the notebook outline sent to the model."
    )
    max_turns: int = Field(
        40, ge=1, description="Most model turns one plan or build may take before it stops."
    )
    investigate_budget_tokens: int = Field(
        20000,
        gt=0,
        description="Token budget of one `investigate` call: the read-only research sub-agent "
        "stops and reports what it found once it has used this many tokens.",
    )
    replay: ReplayMode = Field(
        "auto",
        description="Recorded transcripts: `auto` replays one that matches the request, "
        "`always` replays only (offline), `never` always calls the model.",
    )
    warm_up: bool = Field(
        True,
        description="Load the model layer in the background while the kernel is idle after "
        "`%load_ext`, so the first plan starts at once. Never with no model, `replay: always` "
        "or a headless run.",
    )
    audit: AuditSettings = Field(default_factory=AuditSettings, description="Audit log.")

    @field_validator("api_base")
    @classmethod
    def _check_api_base(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("a URL starting with http:// or https://")
        return value

    def plan_dir(self, project_root: Path) -> Path:
        """``plan.directory`` as an absolute path (symlinks are left to policy/paths.py)."""
        return project_root.absolute() / self.plan.directory

    def pages_dir(self, project_root: Path) -> Path:
        """``pages.directory`` as an absolute path."""
        return project_root.absolute() / self.pages.directory

    def audit_file(self, project_root: Path) -> Path:
        """``audit.path`` as an absolute path."""
        return project_root.absolute() / self.audit.path


@dataclass(frozen=True)
class ResolvedSettings:
    """The validated settings plus where everything came from."""

    settings: Settings
    project_root: Path
    user_dir: Path
    files: tuple[Path, ...]  # settings files read, lowest precedence first
    sources: Mapping[str, Source]  # every top-level key and every dotted leaf -> its source

    @property
    def plan_dir(self) -> Path:
        return self.settings.plan_dir(self.project_root)

    @property
    def pages_dir(self) -> Path:
        return self.settings.pages_dir(self.project_root)

    def source_of(self, key: str) -> Source:
        """Which source set ``key`` (``"model"``, ``"plan"`` or ``"plan.directory"``)."""
        return self.sources[key]

    def policy_files(self) -> list[Path]:
        """``policy_paths`` as absolute paths: from the user file relative to the user dir."""
        base = self.user_dir if self.sources["policy_paths"].layer == "user" else self.project_root
        return [base / Path(p).expanduser() for p in self.settings.policy_paths]

    def explain(self) -> str:
        """One line per setting: ``key = value  (source)``; the API key stays masked."""
        dumped = self.settings.model_dump(mode="json")
        lines = []
        for key, _ in model_leaves(Settings):
            value: Any = dumped
            for part in key.split("."):
                value = value[part]
            lines.append(f"{key} = {json.dumps(value)}  ({self.sources[key]})")
        return "\n".join(lines)


def model_leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, info in model.model_fields.items():
        if is_model(info.annotation):
            yield from model_leaves(info.annotation, f"{prefix}{name}.")
        else:
            yield prefix + name, info
