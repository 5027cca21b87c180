"""Gemini CLI policies hold JavaScript regular expressions: compile them to mean the same here.

The two dialects differ where it matters for a policy: in JavaScript ``\\d``, ``\\w`` and ``\\b``
are ASCII, ``\\s`` is Unicode white space (U+FEFF too), ``.`` stops at ``\\r`` and U+2028/9,
``$`` is the very end, ``\\q`` is a plain ``q`` and ``{,3}`` is literal text. Python's
``re`` says otherwise on each, so a pattern is rewritten token by token, compiled with
``re.ASCII``, and screened twice: by Gemini CLI's own nested-quantifier heuristic (a pattern
Gemini refuses is refused here too, never half-loaded) and by :mod:`regex_safety`.
Constructs only Python has (``(?P<n>``, ``(?i)``, possessive ``a*+``) are errors, as in Gemini.
"""

from __future__ import annotations

import functools
import re

from jupyter_plan.policy.regex_safety import UnsafeRegex, screen

MAX_LENGTH = 2048  # Gemini CLI's limit (isSafeRegExp)
#: JavaScript's \s: ECMAScript WhiteSpace and LineTerminator code points.
_WS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_DOT = "[^\\n\\r\\u2028\\u2029]"
_KNOWN_ESCAPES = set("dDwWbBfnrtv0123456789")
#: Gemini CLI's heuristic (policy/utils.ts isSafeRegExp): a group holding a quantifier,
#: itself quantified.
_GEMINI_NESTED = re.compile(r"\([^)]*[*+?{][^\n\r\u2028\u2029]*\)[*+?{]")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")


@functools.lru_cache(maxsize=4096)  # identical patterns (many rules, reloads) compile once
def compile_js(pattern: str) -> re.Pattern[str]:
    """Compile a Gemini CLI (JavaScript) pattern, or raise :class:`UnsafeRegex` saying why.

    A refused pattern is not cached: it raises again, with the same message."""
    if len(pattern) > MAX_LENGTH:
        raise UnsafeRegex(f"regular expression longer than {MAX_LENGTH} characters")
    if _GEMINI_NESTED.search(pattern):
        raise UnsafeRegex(
            f"regular expression {pattern!r} has a quantified group holding a quantifier "
            ": it can backtrack catastrophically (Gemini CLI refuses it too)"
        )
    source = translate(pattern)
    try:
        compiled = re.compile(source, re.ASCII)
    except re.error as exc:
        raise UnsafeRegex(f"invalid regular expression {pattern!r}: {exc}") from None
    why = screen(source)
    if why:
        raise UnsafeRegex(f"regular expression {pattern!r} can backtrack catastrophically: {why}")
    return compiled


def translate(pattern: str) -> str:
    """The Python ``re`` spelling (for use with ``re.ASCII``) of a JavaScript pattern."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise UnsafeRegex(f"invalid regular expression {pattern!r}: trailing backslash")
            out.append(_escape(pattern, i, in_class))
            i += 2 + (_escape_extra(pattern, i))
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append("]")
            elif ch == "[":
                out.append("\\[")
            else:
                out.append(ch)
            i += 1
            continue
        if ch == "[":
            if pattern.startswith("[^]", i):
                out.append("[\\s\\S]")
                i += 3
            elif pattern.startswith("[]", i):
                out.append("(?!)")
                i += 2
            else:
                in_class = True
                out.append("[")
                i += 1
                if pattern.startswith("^", i):
                    out.append("^")
                    i += 1
                if pattern.startswith("]", i):  # JS: `[]...` closes at once; `[^]` handled
                    out.append("\\]")
                    i += 1
            continue
        if ch == "(":
            out.append(_group(pattern, i))
            i += len(_group_opener(pattern, i))
            continue
        if ch == "{":
            m = _QUANTIFIER.match(pattern, i)
            if m and i > 0:
                out.append(m.group())
                i = m.end()
                _refuse_possessive(pattern, i)
            else:
                out.append("\\{")
                i += 1
            continue
        if ch in "*+?":
            out.append(ch)
            i += 1
            _refuse_possessive(pattern, i)
            continue
        if ch == ".":
            out.append(_DOT)
        elif ch == "$":
            out.append("\\Z")
        elif ch == "}":
            out.append("\\}")
        else:
            out.append(ch)
        i += 1
    if in_class:
        raise UnsafeRegex(f"invalid regular expression {pattern!r}: unterminated character class")
    return "".join(out)


def _escape(pattern: str, i: int, in_class: bool) -> str:
    nxt = pattern[i + 1]
    if nxt == "s":
        return _WS if in_class else f"[{_WS}]"
    if nxt == "S" and not in_class:
        return f"[^{_WS}]"
    if nxt == "k" and pattern.startswith("<", i + 2) and not in_class:
        end = pattern.index(">", i + 3)
        return f"(?P={pattern[i + 3 : end]})"
    if nxt == "c" and _control_letter(pattern, i):
        return f"\\x{ord(pattern[i + 2]) % 32:02x}"
    if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", pattern[i + 2 : i + 4]):
        return pattern[i : i + 4]
    if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", pattern[i + 2 : i + 6]):
        return pattern[i : i + 6]
    if nxt in _KNOWN_ESCAPES or not (nxt.isascii() and nxt.isalnum()):
        return pattern[i : i + 2]
    return re.escape(nxt)  # JavaScript (no u flag): `\q` is `q`, `\A` is `A`, `\Z` is `Z`


def _escape_extra(pattern: str, i: int) -> int:
    """How many characters past the two of ``\\X`` the escape at ``i`` consumed."""
    nxt = pattern[i + 1]
    if nxt == "k" and pattern.startswith("<", i + 2) and ">" in pattern[i + 3 :]:
        return pattern.index(">", i + 3) - (i + 1)
    if nxt == "c" and _control_letter(pattern, i):
        return 1
    if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", pattern[i + 2 : i + 4]):
        return 2
    if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", pattern[i + 2 : i + 6]):
        return 4
    return 0


def _control_letter(pattern: str, i: int) -> bool:
    return i + 2 < len(pattern) and pattern[i + 2].isascii() and pattern[i + 2].isalpha()


def _group_opener(pattern: str, i: int) -> str:
    if not pattern.startswith("(?", i):
        return "("
    for opener in ("(?:", "(?=", "(?!", "(?<=", "(?<!"):
        if pattern.startswith(opener, i):
            return opener
    m = re.compile(r"\(\?<([A-Za-z_$][\w$]*)>").match(pattern, i)
    if m:
        return m.group()
    raise UnsafeRegex(
        f"invalid regular expression {pattern!r}: {pattern[i : i + 4]!r}… is not a JavaScript "
        "group (Gemini CLI policies use JavaScript regular expressions: no (?P<…>, no inline "
        "flags)"
    )


def _group(pattern: str, i: int) -> str:
    opener = _group_opener(pattern, i)
    if opener.startswith("(?<") and opener not in ("(?<=", "(?<!"):
        return "(?P<" + opener[3:]
    return opener


def _refuse_possessive(pattern: str, i: int) -> None:
    if pattern.startswith("+", i):
        raise UnsafeRegex(
            f"invalid regular expression {pattern!r}: a quantifier followed by '+' (nothing "
            "to repeat in JavaScript)"
        )
