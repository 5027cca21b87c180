"""Suite-wide: no test may reach a real model provider, and litellm stays offline and quiet.

The guard is entered when pytest starts (so collection and session fixtures are covered) and
every test is failed if anything was blocked during it, even if the code swallowed the error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from jupyter_plan.testing.guard import NetworkGuard

# Before anything imports litellm: no price-map download, no `.env` loading.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_MODE"] = "PRODUCTION"

_guard = NetworkGuard()


def pytest_configure(config: pytest.Config) -> None:
    _guard.__enter__()
    # litellm 1.106.2 reads `model_fields` on instances while streaming tool calls (pydantic
    # 2.11+ deprecates that): its bug, not ours. A notebook hides library DeprecationWarnings.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Accessing the 'model_.*' attribute on the instance is deprecated"
        ":DeprecationWarning:litellm.*",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    _guard.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[NetworkGuard]:
    seen = len(_guard.violations)
    yield _guard
    if len(_guard.violations) > seen:
        blocked = "\n  ".join(_guard.violations[seen:])
        pytest.fail(f"this test tried to reach the network (blocked):\n  {blocked}")
