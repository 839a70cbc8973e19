"""The record every benchmark returns: one measured subject, as a table row and a JSON object."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, kw_only=True)
class Row:
    """One subject's result: the median of `runs` timings, or the error that stopped it.

    `ratio` is the median divided by the benchmark's reference subject (the reference itself
    has 1.0); it is None when either side failed or the benchmark has no reference.
    """

    benchmark: str
    subject: str
    median_ms: float | None
    runs: int
    ratio: float | None = None
    error: str | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_json(self) -> dict[str, object]:
        return asdict(self)
