""".dockerignore as docker reads it: moby/patternmatcher and its ignorefile.

- `read_ignore_file`: ignorefile.ReadAll (comments, BOM, `/`-rooted patterns made relative,
  `!` exceptions, filepath.Clean);
- `PatternMatcher`: patternmatcher (`*` and `?` stop at `/`, `**` crosses directories,
  `**/x` matches `x` at any depth, `dir/**` everything under dir, a later `!pattern`
  re-includes what an earlier pattern excluded, and a directory's match applies to all
  below it).
"""

from __future__ import annotations

import re

from dockyard import errdefs
from dockyard.cli.archive import go_clean

_ESCAPE = frozenset(".+()|{}$")


def read_ignore_file(data: bytes) -> list[str]:
    """ignorefile.ReadAll: the patterns of a .dockerignore."""
    patterns: list[str] = []
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    for raw in re.split(r"\r?\n", text):
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _check_syntax(pattern: str) -> None:
    """The errors Go's filepath.Match reports for a malformed pattern (ErrBadPattern)."""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= len(pattern):
                raise errdefs.InvalidArgument("syntax error in pattern")
            i += 2
            continue
        if ch == "[":
            i += 1
            if i < len(pattern) and pattern[i] == "^":
                i += 1
            start = i
            while i < len(pattern) and (pattern[i] != "]" or i == start):
                if pattern[i] == "\\":
                    i += 1
                i += 1
            if i >= len(pattern):
                raise errdefs.InvalidArgument("syntax error in pattern")
        i += 1


class Pattern:
    """One compiled .dockerignore pattern (patternmatcher.Pattern)."""

    __slots__ = ("_kind", "_regexp", "cleaned", "dirs", "exclusion")

    def __init__(self, cleaned: str, *, exclusion: bool) -> None:
        self.cleaned = cleaned
        self.exclusion = exclusion
        self.dirs = cleaned.split("/")
        self._kind, self._regexp = _compile(cleaned)

    def __repr__(self) -> str:
        return ("!" if self.exclusion else "") + self.cleaned

    def match(self, path: str) -> bool:
        kind = self._kind
        if kind == "exact":
            return path == self.cleaned
        if kind == "prefix":
            return path.startswith(self.cleaned[:-2])
        if kind == "suffix":
            suffix = self.cleaned[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self._regexp is not None
        return self._regexp.match(path) is not None


def _compile(pattern: str) -> tuple[str, re.Pattern[str] | None]:
    """patternmatcher's Pattern.compile: the match kind, and the regexp when it needs one."""
    regex = "^"
    kind = "exact"
    i, n = 0, len(pattern)
    index = 0
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                if i >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regexp"
                else:
                    regex += "(.*/)?"
                    kind = "regexp"
                if index == 0:
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            regex += "[^/]"
            kind = "regexp"
        elif ch in _ESCAPE:
            regex += "\\" + ch
        elif ch == "\\":
            if i < n:
                regex += "\\" + pattern[i]
                i += 1
                kind = "regexp"
            else:
                regex += "\\\\"
        elif ch in "[]":
            regex += ch
            kind = "regexp"
        else:
            regex += ch
        index += 1
    if kind != "regexp":
        return kind, None
    try:
        return kind, re.compile(regex + "$", re.DOTALL)
    except re.error as err:
        raise errdefs.InvalidArgument("syntax error in pattern") from err


class PatternMatcher:
    """moby/patternmatcher.PatternMatcher over slash-separated relative paths."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[Pattern] = []
        self.exclusions = False
        for text in patterns:
            text = text.strip()
            if not text:
                continue
            text = go_clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise errdefs.InvalidArgument('illegal exclusion pattern: "!"')
                text = text[1:]
                self.exclusions = True
            _check_syntax(text)
            self.patterns.append(Pattern(text, exclusion=exclusion))

    def matches(self, path: str) -> bool:
        """The deprecated Matches (checks one parent only): what TrimBuildFilesFromExcludes uses."""
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path)
            if not match and parent != "." and len(pattern.dirs) <= len(parent_dirs):
                match = pattern.match("/".join(parent_dirs[: len(pattern.dirs)]))
            if match:
                matched = not pattern.exclusion
        return matched

    def matches_or_parent_matches(self, path: str) -> bool:
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.match(path)
            if not match and parent != ".":
                match = any(
                    pattern.match("/".join(parent_dirs[: i + 1])) for i in range(len(parent_dirs))
                )
            if match:
                matched = not pattern.exclusion
        return matched

    def matches_using_parent_results(
        self, path: str, parent: list[bool] | None
    ) -> tuple[bool, list[bool]]:
        """MatchesUsingParentResults: (excluded, this path's per-pattern results for its
        children)."""
        matched = False
        info = [False] * len(self.patterns)
        for i, pattern in enumerate(self.patterns):
            match = parent[i] if parent else False
            if not match:
                if pattern.exclusion != matched:
                    continue
                match = pattern.match(path)
                if not match and not parent:
                    parent_path = _dir(path)
                    if parent_path != ".":
                        dirs = parent_path.split("/")
                        match = any(
                            pattern.match("/".join(dirs[: j + 1])) for j in range(len(dirs))
                        )
            info[i] = match
            if match:
                matched = not pattern.exclusion
        return matched, info


def _dir(path: str) -> str:
    head = path.rpartition("/")[0] if "/" in path else ""
    return go_clean(head) if head else "."
