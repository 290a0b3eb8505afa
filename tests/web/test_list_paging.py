"""``web.lists``: sorting with unknown values last, paging, the cap and the sort-key check."""

from __future__ import annotations

import pytest

from assay.web.errors import ApiError
from assay.web.lists import MAX_LIMIT, Paging, ordered_page, pages_of, paging

ROWS = [
    {"id": "a", "cvss": 5.0},
    {"id": "b", "cvss": None},
    {"id": "c", "cvss": 9.8},
    {"id": "d", "cvss": 0.0},
]
KEYS = {"cvss": lambda r: r["cvss"], "id": lambda r: r["id"]}


def ids(answer: dict[str, object]) -> list[str]:
    return [r["id"] for r in answer["items"]]  # type: ignore[attr-defined]


def test_unknown_values_come_last_in_both_directions() -> None:
    up = ordered_page(ROWS, Paging(10, 0, "cvss"), KEYS)
    down = ordered_page(ROWS, Paging(10, 0, "-cvss"), KEYS)
    assert ids(up) == ["d", "a", "c", "b"] and ids(down) == ["c", "a", "d", "b"]
    assert ids(ordered_page(ROWS, Paging(10, 0, ""), KEYS)) == ["a", "b", "c", "d"]


def test_pages_cut_the_sorted_rows_and_count_them_all() -> None:
    second = ordered_page(ROWS, Paging(2, 2, "-cvss"), KEYS)
    assert ids(second) == ["d", "b"] and second["total"] == 4
    assert pages_of(second) == {"page": 2, "pages": 2, "per_page": 2}
    assert ordered_page(ROWS, Paging(2, 10, ""), KEYS)["items"] == []


def test_limit_is_capped_and_sort_keys_are_checked() -> None:
    assert paging(limit=10**6, offset=0, sort="").limit == MAX_LIMIT
    with pytest.raises(ApiError) as err:
        Paging(10, 0, "-severity").checked(["cvss", "id"])
    assert err.value.status == 400 and "'severity'" in err.value.message
    assert "cvss, id" in err.value.hint
    assert Paging(10, 0, "").checked(["id"], default="-id").sort == "-id"
