"""Small widget pieces the cards share: classed buttons, show/hide, the stylesheet.

Every control gets a stable ``jp-plan-*`` CSS class (in its synced ``_dom_classes``), so a
kernel test driving the widgets over comm messages finds a button by class, not by position.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]


def button(
    description: str,
    css: str,
    on_click: Callable[[], object],
    *,
    tooltip: str = "",
    style: str = "",
    disabled: bool = False,
) -> Any:
    """A Button with class ``css`` whose click runs ``on_click`` (on whichever thread clicked)."""
    b = widgets.Button(
        description=description,
        tooltip=tooltip or description,
        button_style=style,
        disabled=disabled,
        layout=widgets.Layout(width="auto"),
    )
    b.add_class("jp-plan-button")
    b.add_class(css)
    b.on_click(lambda _button: on_click())
    return b


def html(css: str, value: str = "") -> Any:
    w = widgets.HTML(value=value)
    w.add_class(css)
    return w


@cache
def stylesheet() -> str:
    css = (resources.files("jupyter_plan.ui") / "style.css").read_text("utf-8")
    return f"<style>{css}</style>"


def style() -> Any:
    """The stylesheet, once per top-level widget (duplicates are harmless)."""
    return html("jp-plan-style", stylesheet())


def show(widget: Any, visible: bool) -> None:
    widget.layout.display = None if visible else "none"
