"""The export report as a standalone HTML page: the Markdown report rendered by mistune.

mistune (what nbconvert renders Markdown with) runs with ``escape=True``, so raw HTML in the
Markdown comes out as text, and it replaces ``javascript:`` links. The page's Content Security
Policy forbids scripts and remote loads besides, so a model-written image URL fetches nothing.
"""

from __future__ import annotations

import html

import mistune

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; }
h1, h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
h2 { margin-top: 2.5rem; }
pre { background: #f6f8fa; padding: .75rem; overflow: auto; border-radius: 6px; }
code { font: 13px ui-monospace, monospace; background: #f6f8fa; padding: .1em .3em; }
pre code { padding: 0; }
blockquote { margin: 0; padding: .25rem 1rem; border-left: 4px solid #d4a72c;
             background: #fff8c5; }
"""

_render = mistune.create_markdown(escape=True)


def markdown_to_page(markdown: str, *, title: str) -> str:
    """A complete HTML document showing ``markdown``; ``title`` is plain text (escaped here)."""
    body = _render(markdown)
    assert isinstance(body, str)  # the HTML renderer returns text
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
