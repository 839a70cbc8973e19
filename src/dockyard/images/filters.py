"""Filters of `docker images` and `docker image prune`, with moby's semantics and messages.

The Engine API sends filters as JSON `{"name": ["value", ...]}` (older clients:
`{"name": {"value": true}}`); the API layer hands either shape here. An unknown filter name
is InvalidArgument "invalid filter '<name>'", a bad boolean "invalid filter 'dangling=[x]'".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dockyard import errdefs
from dockyard.images import reference as refs
from dockyard.images import timefmt
from dockyard.images.reference import Reference

LIST_FILTERS = frozenset({"dangling", "label", "before", "since", "reference", "until"})
PRUNE_FILTERS = frozenset({"dangling", "label", "label!", "until"})

FilterArgs = Mapping[str, Iterable[str] | Mapping[str, bool]]


class Filters:
    """Parsed filters: name -> set of values (moby's filters.Args)."""

    def __init__(self, raw: FilterArgs | None, *, accepted: frozenset[str]) -> None:
        self._fields: dict[str, list[str]] = {}
        for name, values in (raw or {}).items():
            if name not in accepted:
                raise errdefs.InvalidArgument(f"invalid filter '{name}'")
            if isinstance(values, Mapping):
                listed = [v for v, on in values.items() if on]
            elif isinstance(values, str):
                listed = [values]
            else:
                listed = list(values)
            self._fields[name] = list(dict.fromkeys(listed))  # a set, in the order given

    def __contains__(self, name: str) -> bool:
        return name in self._fields

    def get(self, name: str) -> list[str]:
        return list(self._fields.get(name, ()))

    def get_bool(self, name: str, default: bool) -> bool:
        """GetBoolOrDefault: "1"/"true" or "0"/"false", never both."""
        if name not in self._fields:
            return default
        values = set(self._fields[name])
        is_false = bool(values & {"0", "false"})
        is_true = bool(values & {"1", "true"})
        if is_false == is_true:
            listed = " ".join(self._fields[name])
            raise errdefs.InvalidArgument(f"invalid filter '{name}=[{listed}]'")
        return is_true

    def match_kv_list(self, name: str, labels: Mapping[str, str] | None) -> bool:
        """MatchKVList: every `key` or `key=value` given is present in `labels`."""
        wanted = self._fields.get(name)
        if not wanted:
            return True
        if not labels:
            return False
        for item in wanted:
            key, has_value, value = item.partition("=")
            if key not in labels or (has_value and labels[key] != value):
                return False
        return True

    def match_labels(self, labels: Mapping[str, str] | None) -> bool:
        """Prune's label filters: every `label` matches and no `label!` does."""
        if not self.match_kv_list("label", labels):
            return False
        return not ("label!" in self and self.match_kv_list("label!", labels))

    def until(self) -> int | None:
        """The `until` time in Unix nanoseconds (prune allows one value)."""
        values = self.get("until")
        if not values:
            return None
        if len(values) > 1:
            raise errdefs.InvalidArgument("more than one until filter specified")
        return parse_until(values[0])

    def match_reference(self, ref: Reference) -> bool:
        """The `reference` filter: a Go glob against the familiar forms ("alpine:3",
        "alpine") and the full ones ("docker.io/library/alpine:3", "docker.io/library/alpine"),
        as moby's image list does."""
        # A Reference without a domain shows its whole path as the familiar name: the full
        # forms are checked by the same matcher through that.
        canonical = Reference("", ref.name, ref.tag or ("" if ref.digest else "latest"), ref.digest)
        return any(
            refs.familiar_match(pattern, ref) or refs.familiar_match(pattern, canonical)
            for pattern in self.get("reference")
        )


def parse_until(value: str) -> int:
    try:
        return timefmt.parse_filter_time(value)
    except ValueError as err:
        raise errdefs.InvalidArgument(f"invalid value for 'until' filter: {err}") from None
