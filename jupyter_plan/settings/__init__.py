"""Settings: one pydantic model (``model.py``), its five sources and their precedence
(``load.py``), and problems told in one sentence each (``errors.py``).

Precedence, lowest to highest, is defined once, in :func:`load_settings`:
defaults < user ``settings.json`` < project ``.jupyter_plan/settings.json`` < environment < flags.
"""

from jupyter_plan.settings.errors import LAYERS, Layer, SettingsError, Source
from jupyter_plan.settings.load import (
    find_project_root,
    load_settings,
    migrate,
    reference_table,
    user_dir,
)
from jupyter_plan.settings.model import (
    API_KEY_ENV,
    CURRENT_VERSION,
    ENV_VARS,
    PROJECT_MARKER,
    SETTINGS_FILE,
    USER_DIR_ENV,
    ApprovalMode,
    AuditSettings,
    PlanSettings,
    ReplayMode,
    ResolvedSettings,
    Settings,
)

__all__ = [
    "API_KEY_ENV",
    "CURRENT_VERSION",
    "ENV_VARS",
    "LAYERS",
    "PROJECT_MARKER",
    "SETTINGS_FILE",
    "USER_DIR_ENV",
    "ApprovalMode",
    "AuditSettings",
    "Layer",
    "PlanSettings",
    "ReplayMode",
    "ResolvedSettings",
    "Settings",
    "SettingsError",
    "Source",
    "find_project_root",
    "load_settings",
    "migrate",
    "reference_table",
    "user_dir",
]
