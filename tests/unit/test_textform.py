from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain.textform import cn_numeral, find_doc_number, format_doc_number, parse_cn_numeral


@pytest.mark.parametrize(
    ("n", "written"),
    [
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (21, "二十一"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
    ],
)
def test_numerals_are_written_as_officials_write_them(n: int, written: str) -> None:
    assert cn_numeral(n) == written
    assert parse_cn_numeral(written) == n


@given(st.integers(min_value=1, max_value=999))
def test_every_numeral_reads_back_to_its_number(n: int) -> None:
    assert parse_cn_numeral(cn_numeral(n)) == n


def test_arabic_and_full_width_digits_read_as_numbers() -> None:
    assert parse_cn_numeral("12") == 12
    assert parse_cn_numeral("３") == 3


@pytest.mark.parametrize("word", ["", "市", "十a", "第一"])
def test_a_word_is_not_a_numeral(word: str) -> None:
    with pytest.raises(ValueError):
        parse_cn_numeral(word)


@pytest.mark.parametrize(
    "written",
    [
        "深府办〔2007〕129号",
        "深府办[2007]129号",
        "深府办【2007】第129号",
        "深府办（2007）0129号",
        "深府办〔２００７〕１２９号",
    ],
)
def test_doc_numbers_in_every_bracket_people_type_are_normalised(written: str) -> None:
    found = find_doc_number(written)
    assert found == ("深府办", 2007, 129)
    assert format_doc_number(*found) == "深府办〔2007〕129号"
