"""统一社会信用代码 and identity-card numbers: checking, masking, spotting in text.

python-stdnum does the arithmetic.  Its USCC ``validate`` refuses every code
whose first eight characters are not all digits, which rejects real codes of
rural collective economic organisations (N2…) and other registration
authorities (Y1…, A1…); so we check the structure ourselves (GB 32100-2015:
letters allowed in positions 1-2, division code in 3-8) and use stdnum only
for the check character.
"""

from __future__ import annotations

import functools
import re

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

# 18-digit (last may be X) and legacy 15-digit resident identity-card numbers,
# not glued to other digits or letters.
_RIC_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


class InvalidIdentifier(ValueError):
    """The message is user-facing (Chinese)."""


def validate_uscc(value: str) -> str:
    """Return the compact upper-case code, or raise :class:`InvalidIdentifier`."""
    code = "".join(value.split()).upper()
    if len(code) != 18:
        raise InvalidIdentifier(f"统一社会信用代码应为18位，实为{len(code)}位")
    if not _USCC_SHAPE.fullmatch(code):
        raise InvalidIdentifier(
            "统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V，第3至8位为行政区划代码）"
        )
    if code[-1] != uscc.calc_check_digit(code[:17]):
        raise InvalidIdentifier("统一社会信用代码校验位错误")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def division_code(code: str) -> str:
    """The six-digit administrative division code inside a valid USCC."""
    return code[2:8]


def validate_ric(value: str) -> str:
    """A resident identity-card number (18 digits, or 15 digits of the old format)."""
    number = "".join(value.split()).upper()
    if len(number) == 15 and number.isdigit() and _is_valid_ric(_upgrade_15(number)):
        return number
    if not _is_valid_ric(number):
        raise InvalidIdentifier("居民身份证号码无效（长度、出生日期、地区码或校验位错误）")
    return number


def mask_ric(number: str) -> str:
    """Hide the birth date, as the 双公示 standard asks: positions 7-14 become *."""
    number = "".join(number.split()).upper()
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[14:]
    if len(number) == 15:
        return number[:6] + "*" * 6 + number[12:]
    return mask_other_id(number)


def mask_other_id(number: str) -> str:
    """Other documents (passports, permits): keep the first 2 and last 2 characters."""
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def find_full_ric(text: str) -> list[str]:
    """Full identity-card numbers that appear in free text (a batch that has one is refused)."""
    found = []
    for match in _RIC_IN_TEXT.finditer(text):
        # A number that is both a valid all-digit credit code and a valid
        # identity-card number counts as the latter: privacy comes first.
        candidate = match.group(0).upper()
        if _is_valid_ric(_upgrade_15(candidate) if len(candidate) == 15 else candidate):
            found.append(candidate)
    return found


def _is_valid_ric(number: str) -> bool:
    """stdnum's checks without its birth-year test of the division code.

    ``ric.validate`` refuses a code for people born before the code existed
    (350102 鼓楼区 dates from 1983), yet numbers issued since 1999 carry the
    current code whatever the birth year; so check the parts one by one.
    """
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    try:
        if number[-1] != ric.calc_check_digit(number):
            return False
        ric.get_birth_date(number)
    except ValidationError:
        return False
    places = {key for _, props in numdb.get("cn/loc").info(number[:6]) for key in props}
    return "county" in places


def _upgrade_15(number: str) -> str:
    """The 18-digit form of a 1999-era 15-digit number (born 19YY), for stdnum's checks."""
    body = number[:6] + "19" + number[6:]
    return body + str(ric.calc_check_digit(body + "0"))  # stdnum ignores the last digit


def district_of(code: str | None) -> str:
    """The county-level division named by a credit code's positions 3-8, by its current name.

    stdnum's location table keeps history ("[1983-1994]郊区,[1995-]晋安区"): the last name wins.
    """
    if not code or len(code) != 18 or not code[2:8].isdigit():
        return "其他"
    return _division_name(code[2:8])


@functools.lru_cache(maxsize=4096)
def _division_name(division: str) -> str:
    """stdnum's table lookup is slow (0.1 ms) and a city has a few dozen divisions: remember them."""
    for _, props in numdb.get("cn/loc").info(division):
        county = props.get("county")
        if county:
            return re.sub(r"\[[^\]]*\]", "", county.split(",")[-1]).strip() or "其他"
    return "其他"
