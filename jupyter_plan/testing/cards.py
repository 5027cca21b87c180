"""Browser helpers for the run cards: find them, act on them as a person, check them.

Every action is a click or a key press in the page (menus, buttons, dialogs); nothing here
sends a comm message. The checks run in the page: WCAG contrast of every text inside our
components (computed colours, backgrounds composited up the tree) and axe-core, which the
test injects from the labextension's own ``node_modules`` (installed by ``./scripts/setup``).
Playwright objects are typed ``Any``: it is a test dependency.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_plan.testing.lab import LabPage

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "labextension" / "node_modules" / "axe-core" / "axe.min.js"
#: Where the extension draws: cards (live and saved), the sidebar, the status bar item.
OURS = ".jp-plan-card, #jupyter-plan-sidebar, .jp-plan-statusbar"
#: CodeMirror's token colours are JupyterLab's theme (the same as in its own cells).
THEMED_TOKENS = ".jp-plan-code code span, .jp-plan-diff code span, .jp-plan-markdown pre span"


def run_card(cell: Any, kind: str = "") -> Any:
    """The run card in ``cell``'s output (``kind``: plan or build)."""
    suffix = f".jp-plan-kind-{kind}" if kind else ""
    return cell.locator(f".jp-plan-run-card{suffix}").first


def wait_phase(card: Any, phase: str, timeout: float = 60_000) -> None:
    """Wait until ``card`` is in ``phase`` (its ``data-phase``; the card is found anew each
    time: a cell run again draws a new one)."""
    from playwright.sync_api import expect

    expect(card).to_have_attribute("data-phase", phase, timeout=timeout)


def wait_revision(card: Any, revision: int, timeout: float = 60_000) -> None:
    """Wait until ``card`` awaits review of ``revision``: after Iterate the card may still
    show the old revision's phase until the kernel has taken the feedback."""
    from playwright.sync_api import expect

    meta = card.locator(".jp-plan-card-meta")
    expect(meta).to_contain_text(f"revision {revision}", timeout=timeout)
    wait_phase(card, "awaiting_review", timeout)


def buttons(scope: Any) -> list[str]:
    """The labels of the enabled buttons in ``scope``'s action bar (their text content:
    ``innerText`` is empty for a cell the notebook has scrolled out of rendering)."""
    found = scope.locator(".jp-plan-actionbar .jp-plan-actions button:enabled")
    return [str(t).strip() for t in found.all_text_contents()]


def act(scope: Any, action: str) -> None:
    """Click the button of ``action`` (e.g. ``approve_auto_edit``, ``undo``) in ``scope``."""
    scope.locator(f"button.jp-plan-act-{action}").click()


def answer_dialog(page: Any, accept: bool = True) -> str:
    """Answer JupyterLab's confirmation dialog; returns what it said."""
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible")
    said = str(dialog.inner_text())
    which = "button.jp-mod-warn, button.jp-mod-accept" if accept else "button.jp-mod-reject"
    dialog.locator(which).last.click()
    dialog.wait_for(state="hidden")
    return said


def set_theme(lab: LabPage, name: str) -> None:
    """Settings menu → Theme → ``name`` ("JupyterLab Dark", "JupyterLab Light")."""
    page = lab.page
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=name).first.click()
    light = "true" if "Light" in name else "false"
    page.wait_for_function("(light) => document.body.dataset.jpThemeLight === light", arg=light)


CONTRAST_JS = """([ours, tokens]) => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) { return [0, 0, 0, 0]; }
        const p = m[1].split(',').map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, bottom) => {
        const a = top[3] + bottom[3] * (1 - top[3]);
        if (a === 0) { return [0, 0, 0, 0]; }
        const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
    };
    const background = (el) => {
        const layers = [];
        for (let n = el; n; n = n.parentElement) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c[3] > 0) { layers.push(c); }
            if (c[3] >= 1) { break; }
        }
        let bg = [255, 255, 255, 1];
        for (const layer of layers.reverse()) { bg = over(layer, bg); }
        return bg;
    };
    const lum = (c) => {
        const ch = c.slice(0, 3).map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
    };
    const found = [];
    const seen = new Set();
    for (const root of document.querySelectorAll(ours)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const el = t.parentElement;
            if (!el || !t.textContent.trim() || seen.has(el)) { continue; }
            seen.add(el);
            if (el.closest(tokens) || el.closest('[aria-hidden="true"]')) { continue; }
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || el.getClientRects().length === 0) { continue; }
            const bg = background(el);
            const fg = over(parse(style.color), bg);
            const [a, b] = [lum(fg), lum(bg)];
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            const size = parseFloat(style.fontSize);
            const bold = parseInt(style.fontWeight, 10) >= 700;
            const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
            if (ratio < need) {
                found.push({
                    text: t.textContent.trim().slice(0, 40),
                    cls: el.className && el.className.baseVal === undefined ? el.className : '',
                    ratio: Math.round(ratio * 100) / 100,
                    color: style.color,
                    need,
                });
            }
        }
    }
    return found;
}"""


def contrast_failures(page: Any) -> list[dict[str, Any]]:
    """Every text inside our components below WCAG AA (4.5:1, 3:1 for large text)."""
    return list(page.evaluate(CONTRAST_JS, [OURS, THEMED_TOKENS]))


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` inside our components, one line each."""
    if not AXE.is_file():
        raise FileNotFoundError(f"{AXE} is missing: run ./scripts/setup (jlpm install)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async ([ours, tokens]) => {
            const include = [...document.querySelectorAll(ours)].map((el) => el);
            if (!include.length) { return []; }
            const r = await window.axe.run(
                { include, exclude: [...document.querySelectorAll(tokens)] },
                { resultTypes: ['violations'] }
            );
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        [OURS, THEMED_TOKENS],
    )
    return [json.dumps(v) for v in result if v["impact"] in impacts]
