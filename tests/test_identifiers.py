"""统一社会信用代码 and identity-card numbers, including python-stdnum's gaps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from disclosure.identifiers import (
    InvalidIdentifier,
    division_code,
    find_full_ric,
    is_valid_uscc,
    mask_other_id,
    mask_ric,
    validate_ric,
    validate_uscc,
)


def with_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


def ric_with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_company_code_valid() -> None:
    code = with_check("91350102MA2YH6TK0")
    assert validate_uscc(code) == code
    assert division_code(code) == "350102"


def test_lowercase_and_spaces_are_compacted() -> None:
    code = with_check("91350102MA2YH6TK0")
    assert validate_uscc(" " + code.lower() + " ") == code


@pytest.mark.parametrize("prefix", ["N2350121", "Y1350102", "A1350104", "N1350181"])
def test_letters_in_positions_1_2_accepted_where_stdnum_refuses(prefix: str) -> None:
    code = with_check(prefix + "MA34R5T7X")
    assert not uscc.is_valid(code), "stdnum's gap this project works around"
    assert validate_uscc(code) == code


def test_bad_check_character_refused() -> None:
    code = with_check("91350102MA2YH6TK0")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidIdentifier, match="校验位"):
        validate_uscc(wrong)


@pytest.mark.parametrize(
    "bad", ["91350102MA2YH6TK", "9135010IMA2YH6TK01", "913501O2MA2YH6TK01", "91AB0102MA2YH6TK01"]
)
def test_malformed_codes_refused(bad: str) -> None:
    assert not is_valid_uscc(bad)


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=10, max_size=10))
def test_any_valid_structure_roundtrips(org: str) -> None:
    code = with_check("913501" + "02" + org[:9])
    assert validate_uscc(code) == code


def test_resident_id_born_before_division_code_existed_is_valid() -> None:
    # 350102 鼓楼区 dates from 1983: stdnum refuses a 1980 birth, yet such numbers are real.
    number = ric_with_check("35010219800101123")
    assert not ric.is_valid(number)
    assert validate_ric(number) == number


def test_resident_id_bad_checksum_or_region_refused() -> None:
    number = ric_with_check("35010219800101123")
    with pytest.raises(InvalidIdentifier):
        validate_ric(number[:-1] + ("0" if number[-1] != "0" else "1"))
    with pytest.raises(InvalidIdentifier):
        validate_ric(ric_with_check("99999919800101123"))
    with pytest.raises(InvalidIdentifier):
        validate_ric(ric_with_check("35010219801301123"))  # month 13


def test_mask_hides_birth_date() -> None:
    assert mask_ric("350102198001011233") == "350102********1233"
    assert mask_ric("350102800101123") == "350102******123"
    assert mask_other_id("E12345678") == "E1*****78"


def test_full_id_found_in_free_text() -> None:
    number = ric_with_check("35010419751230001")
    assert find_full_ric(f"当事人王某（身份证号{number}）无证经营") == [number]
    ending_in_x = ric_with_check("35010419751230006")
    assert ending_in_x.endswith("X")
    assert find_full_ric(f"号码：{ending_in_x.lower()}。") == [ending_in_x]


def test_other_numbers_not_mistaken_for_ids() -> None:
    assert find_full_ric("罚款人民币20000元，注册号350102000012345，文号榕市监罚〔2026〕1234号") == []
    assert find_full_ric("订单号12345678901234567890") == []
    masked = mask_ric(ric_with_check("35010219800101123"))
    assert find_full_ric(f"证件号码{masked}") == []
