"""Workspace tools: read_file, list_directory, glob and grep_search, confined to the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_plan.tools import files
from jupyter_plan.tools.base import OUTPUT_CAP, ToolContext, ToolError
from jupyter_plan.tools.files import glob_regex, sniff_encoding

from .conftest import Call


@pytest.fixture
def ws(project: Path, plan_dir: Path) -> Path:
    """A workspace with text, data, binary, legacy-encoded and skipped files."""
    (project / "README.md").write_text("# Sales\nRevenue by region.\n")
    (project / "data").mkdir()
    (project / "data" / "sales.csv").write_text("region,revenue\nnorth,10\nsouth,20\n")
    (project / "data" / "events.log").write_text("".join(f"event {i}\n" for i in range(5000)))
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "src" / "mod.py").write_text("def load():\n    return read_csv('sales.csv')\n")
    (project / "src" / "pkg" / "deep.py").write_text("REVENUE = 1\n")
    (project / "src" / "maps.py").write_text("x = 1\n")
    (project / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200))
    (project / "legacy.txt").write_bytes("caf\xe9 cr\xe8me revenue\n".encode("latin-1"))
    for skipped in (".git", "node_modules/lib", ".venv/lib", "__pycache__"):
        (project / skipped).mkdir(parents=True)
        (project / skipped / "hidden.py").write_text("revenue = 'skipped'\n")
    (project / "link_in").symlink_to(project / "src")
    return project


async def test_read_file(call: Call, ws: Path) -> None:
    out = await call("read_file", file_path="data/sales.csv")
    assert out == "[data/sales.csv: lines 1-3]\nregion,revenue\nnorth,10\nsouth,20"
    assert (await call("read_file", file_path=str(ws / "README.md"))).endswith("by region.")
    assert "return read_csv" in await call("read_file", file_path="link_in/mod.py")


async def test_read_file_pages(call: Call, ws: Path) -> None:
    first = await call("read_file", file_path="data/events.log", limit=10)
    assert first.splitlines()[0] == "[data/events.log: lines 1-10]"
    assert first.splitlines()[-1] == "[more lines follow: read_file with offset=10]"
    page = await call("read_file", file_path="data/events.log", offset=4990, limit=100)
    assert page.splitlines()[1] == "event 4990" and page.endswith("event 4999")
    past = await call("read_file", file_path="data/events.log", offset=6000)
    assert past == "[data/events.log: the file has 5000 lines; nothing after line 6000]"
    whole = await call("read_file", file_path="data/events.log", limit=5000)
    assert len(whole) <= OUTPUT_CAP + 100 and "more lines follow" in whole


async def test_read_file_caps_long_lines(call: Call, ws: Path) -> None:
    (ws / "one_line.json").write_text("[" + "1," * 1_000_000 + "1]\nsecond\n")
    out = await call("read_file", file_path="one_line.json")
    assert "[… line truncated]" in out and out.endswith("second")
    assert len(out) < 2200


async def test_read_file_empty_and_unreadable(
    call: Call, ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ws / "empty.txt").write_text("")
    assert await call("read_file", file_path="empty.txt") == "[empty.txt: the file is empty]"

    def denied(*args: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_read_lines", denied)  # chmod means nothing to root
    with pytest.raises(ToolError, match=r"cannot read empty\.txt: Permission denied"):
        await call("read_file", file_path="empty.txt")


async def test_read_file_latin1(call: Call, ws: Path) -> None:
    out = await call("read_file", file_path="legacy.txt")
    assert "not UTF-8: decoded as Latin-1" in out and "café crème" in out


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("chart.png", r"chart.png is not a text file \(image/png, 216 bytes\)"),
        ("data", "is a folder: use list_directory"),
        ("missing.txt", "no such file: missing.txt"),
    ],
)
async def test_read_file_refuses(call: Call, ws: Path, path: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        await call("read_file", file_path=path)


async def test_read_file_refuses_a_fifo_without_blocking(call: Call, ws: Path) -> None:
    os.mkfifo(ws / "pipe")
    with pytest.raises(ToolError, match="not a regular file"):
        await call("read_file", file_path="pipe")


async def test_list_directory(call: Call, ws: Path) -> None:
    out = (await call("list_directory")).splitlines()
    assert out[0].startswith("./ (")
    names = [line.strip() for line in out[1:]]
    assert names.index(".git/ (skipped by glob and grep_search)") < names.index("README.md  27 B")
    assert "link_out -> (a link out of the workspace: not readable)" in names
    assert "file_out.txt -> (a link out of the workspace: not readable)" in names
    assert "link_in/" in names
    sub = await call("list_directory", dir_path="data")
    assert sub.splitlines() == ["data/ (2 entries)", "  events.log  52.6 KB", "  sales.csv  33 B"]
    with pytest.raises(ToolError, match="not a folder"):
        await call("list_directory", dir_path="README.md")
    with pytest.raises(ToolError, match="no such folder"):
        await call("list_directory", dir_path="nope")


GLOBS = [
    ("**/*.py", ".", ["src/maps.py", "src/mod.py", "src/pkg/deep.py"]),
    ("*.py", ".", ["src/maps.py", "src/mod.py", "src/pkg/deep.py"]),  # no '/': any depth
    ("src/*.py", ".", ["src/maps.py", "src/mod.py"]),
    ("*.{csv,log}", ".", ["data/events.log", "data/sales.csv"]),
    ("[!m]*.py", ".", ["src/pkg/deep.py"]),
    ("m?p?.py", ".", ["src/maps.py"]),
    ("*.py", "src/pkg", ["src/pkg/deep.py"]),
    ("**", "data", ["data/events.log", "data/sales.csv"]),
    ("*.txt", ".", ["legacy.txt"]),  # file_out.txt points out of the workspace
    ("*.parquet", ".", []),
]


@pytest.mark.parametrize(("pattern", "where", "expected"), GLOBS)
async def test_glob(call: Call, ws: Path, pattern: str, where: str, expected: list[str]) -> None:
    out = await call("glob", pattern=pattern, dir_path=where)
    found = [line for line in out.splitlines() if not line.startswith("[")]
    if expected:
        assert found == expected
    else:
        assert found[0].startswith("No files match")


async def test_glob_reports_links_out_and_caps(call: Call, ws: Path) -> None:
    out = await call("glob", pattern="*")
    assert "[2 links pointing out of the workspace were skipped]" in out
    assert "SECRET" not in out and "secret" not in out and "hidden.py" not in out
    capped = await call("glob", pattern="**/*", limit=3)
    assert capped.splitlines()[-1] == "[more than 3 matches: narrow the pattern]"
    assert len(capped.splitlines()) == 4


@pytest.mark.parametrize("pattern", ["../*.txt", "src/../../x", "/etc/*"])
async def test_glob_patterns_stay_inside(call: Call, ws: Path, pattern: str) -> None:
    with pytest.raises(ToolError, match=r"must be relative, without '\.\.'"):
        await call("glob", pattern=pattern)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.py", "a.py", True),
        ("*.py", "x/y/a.py", True),
        ("x/*.py", "x/y/a.py", False),
        ("x/**/a.py", "x/a.py", True),
        ("x/**/a.py", "x/y/z/a.py", True),
        ("x/**", "x/y/z", True),
        ("*.{py,md}", "b.md", True),
        ("[ab].txt", "c.txt", False),
        ("a+b(1).txt", "a+b(1).txt", True),  # regex characters are literal
        ("[!a].txt", "b.txt", True),
        ("[^a].txt", "^.txt", True),  # a glob's '^' is literal
    ],
)
def test_glob_regex(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).fullmatch(path)) is matches


def test_glob_regex_reports_a_bad_pattern() -> None:
    with pytest.raises(ToolError, match="invalid glob pattern '\\[z-a\\]'"):
        glob_regex("[z-a]")


async def test_grep_search(call: Call, ws: Path) -> None:
    out = await call("grep_search", pattern=r"read_csv\(")
    assert out.splitlines() == [
        "src/mod.py:2:     return read_csv('sales.csv')",
        "[2 links pointing out of the workspace were skipped]",  # file_out.txt, filelink.md
    ]
    lines = (await call("grep_search", pattern="revenue", ignore_case=True)).splitlines()
    assert lines[:-1] == [
        "README.md:2: Revenue by region.",  # a folder's files, then its subfolders
        "legacy.txt:1: café crème revenue",
        "data/sales.csv:1: region,revenue",
        "src/pkg/deep.py:1: REVENUE = 1",
    ]  # never the skipped folders, the binary file or the secret behind the links
    py = await call("grep_search", pattern="revenue", ignore_case=True, include="*.py")
    assert py.splitlines()[0] == "src/pkg/deep.py:1: REVENUE = 1"
    one_file = await call("grep_search", pattern="south", dir_path="data/sales.csv")
    assert one_file == "data/sales.csv:3: south,20"
    assert (await call("grep_search", pattern="SECRET")).startswith("No matches")


async def test_grep_search_caps(call: Call, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = await call("grep_search", pattern=r"event \d", max_matches=5)
    assert len(out.splitlines()) == 6 and out.endswith("narrow the pattern or include]")
    monkeypatch.setattr(files, "GREP_MAX_BYTES", 1000)
    skipped = await call("grep_search", pattern="event 4999")
    assert "files over 1,000 bytes skipped" in skipped and skipped.startswith("No matches")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(a|a)*$", "backtrack catastrophically"), ("[", "invalid regular expression")],
)
async def test_grep_search_refuses_bad_regexes(
    call: Call, ws: Path, pattern: str, message: str
) -> None:
    with pytest.raises(ToolError, match=message):
        await call("grep_search", pattern=pattern)


async def test_missing_search_folders(call: Call, ctx: ToolContext, ws: Path) -> None:
    with pytest.raises(ToolError, match="no such folder"):
        await call("glob", pattern="*", dir_path="nope")
    with pytest.raises(ToolError, match="no such folder or file"):
        await call("grep_search", pattern="x", dir_path="nope")


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [
        (b"plain text\n", "utf-8"),
        ("naïve\n".encode(), "utf-8"),
        (b"\xef\xbb\xbfbom\n", "utf-8-sig"),
        ("é".encode()[:1], "utf-8"),  # a character cut by the sniff window
        ("café crème".encode("latin-1"), "latin-1"),
        (b"abc\0def", None),
        (bytes(range(1, 32)) * 10 + b"\xff", None),
    ],
)
def test_sniff_encoding(sample: bytes, encoding: str | None) -> None:
    assert sniff_encoding(sample) == encoding
