"""Server-side paging, sorting and filtering shared by every list of the pages and the API.

A list answers ``{"total", "limit", "offset", "sort", "items"}``: ``total`` counts every row the
filters keep, ``items`` is the page asked for. ``sort`` names one key, ``-key`` for descending;
ties fall back to the list's own order. A ``limit`` above ``MAX_LIMIT`` is capped to it (the
answer's ``limit`` says so); a limit below 1, a negative offset or an unknown sort key is
refused with a one-line error naming the allowed values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query

from assay.web.errors import ApiError

MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
SEVERITY_RANK = {"critical": 5, "high": 4, "medium": 3, "moderate": 3, "low": 2, "none": 1}


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    sort: str  # "" = the list's own order; "key" or "-key"

    @property
    def key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def checked(self, keys: Sequence[str], default: str = "") -> Paging:
        """This paging with its sort key checked against ``keys`` (400 when unknown)."""
        sort = self.sort or default
        if sort and sort.lstrip("-") not in keys:
            allowed = ", ".join(keys)
            raise ApiError(
                400,
                f"sort: unknown key {sort.lstrip('-')!r}",
                f"sort by one of {allowed} (prefix - for descending)",
            )
        return Paging(self.limit, self.offset, sort)

    def page_of(self, total: int) -> dict[str, Any]:
        """What the answer says about the page (everything but the items)."""
        return {"total": total, "limit": self.limit, "offset": self.offset, "sort": self.sort}


def paging(
    limit: Annotated[
        int,
        Query(
            ge=1, le=MAX_OFFSET, description=f"rows per page (at most {MAX_LIMIT}; more is capped)"
        ),
    ] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
    sort: Annotated[
        str,
        Query(
            max_length=40,
            pattern=r"^-?[a-z_]*$",
            description="a sort key of this list; prefix - for descending",
        ),
    ] = "",
) -> Paging:
    """The ``limit``/``offset``/``sort`` query parameters (a FastAPI dependency)."""
    return Paging(min(limit, MAX_LIMIT), offset, sort)


def page_paging(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_OFFSET)] = 50,
    sort: Annotated[str, Query(max_length=40, pattern=r"^-?[a-z_]*$")] = "",
) -> Paging:
    """The same for the HTML pages: ``page`` (from 1) and ``per_page``."""
    size = min(per_page, MAX_LIMIT)
    return Paging(size, (page - 1) * size, sort)


def sort_value(value: Any) -> tuple[int, Any]:
    """A key that orders None and "" after every real value, numbers as numbers."""
    if value is None or value == "":
        return (1, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, float(value))
    if isinstance(value, list | tuple):
        return (0, len(value))
    return (0, str(value).lower())


def ordered_page(
    rows: list[dict[str, Any]],
    paging: Paging,
    keys: dict[str, Callable[[dict[str, Any]], Any]],
) -> dict[str, Any]:
    """``rows`` (already filtered, in the list's own order) sorted by ``paging.sort`` (one of
    ``keys``), and the page asked for, with the total."""
    if paging.sort:
        get = keys[paging.key]
        known = [r for r in rows if sort_value(get(r))[0] == 0]
        unknown = [r for r in rows if sort_value(get(r))[0] == 1]
        known.sort(key=lambda r: sort_value(get(r))[1], reverse=paging.descending)
        rows = known + unknown  # rows without a value come last either way
    items = rows[paging.offset : paging.offset + paging.limit]
    return {**paging.page_of(len(rows)), "items": items}


def pages_of(answer: dict[str, Any]) -> dict[str, int]:
    """Page numbers for a listing's pager: this page, the last one, the page size."""
    size = max(1, int(answer["limit"]))
    return {
        "page": int(answer["offset"]) // size + 1,
        "pages": max(1, -(-int(answer["total"]) // size)),
        "per_page": size,
    }


def severity_rank(severity: Any) -> int | None:
    """critical 5 … none 1; None for an unknown severity (sorted last)."""
    return SEVERITY_RANK.get(str(severity or "").lower())
