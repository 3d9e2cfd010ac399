"""Removal, as a property: for random histories and as-of dates, nothing unpublished is left in build/.

Each example stages and signs three weeks of publish / amend / repair / withdraw operations on a few
entries, builds the site as of a random date (expiry included), and searches every output file —
Pagefind's compressed index and fragments decompressed — for the name, code, document number and
violation text of every version that is not published on that date, unless a published version
shows the same text.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosure.build import build_site
from disclosure.fold import fold_releases
from disclosure.identifiers import find_full_ric
from disclosure.model import Decision
from disclosure.verify import verify_releases
from tests.conftest import new_tree, stage_and_sign
from tests.factories import code, licensing_row, penalty_row, write_csv
from tests.test_build import all_output_text

pytestmark = pytest.mark.xdist_group("site")

WEEKS = (dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16))
NAMES = ("福州甲鸣广告有限公司", "福州乙泉传媒有限公司", "福州丙森文化有限公司", "福州丁岚商贸有限公司")
PLACES = ("台江区万象广场", "仓山区浦上大道", "晋安区福新东路", "马尾区君竹路")


@dataclass(frozen=True)
class Slot:
    index: int
    licensing: bool

    @property
    def name(self) -> str:
        return NAMES[self.index]

    @property
    def code(self) -> str:
        return code(f"91350102MA2Y{self.index:05d}")

    @property
    def number(self) -> str:
        return f"榕市监{'许' if self.licensing else '处罚'}〔2026〕{3100 + self.index}号"

    def row(self, version: int, operation: str = "", day: dt.date | None = None) -> dict[str, str]:
        subject = {"行政相对人名称": self.name, "行政相对人代码_1": self.code}
        follow_up: dict[str, str] = {}
        if operation in ("信用修复", "撤销"):
            assert day is not None, "a repair or a withdrawal has its date"
            follow_up = {"操作": operation, "操作日期": day.isoformat(), "操作原因": "信用修复" if operation == "信用修复" else "决定被撤销",
                         "操作依据": "榕市监修〔2026〕1号"}  # fmt: skip
        if operation == "变更":
            follow_up = {"操作": "变更"}
        if self.licensing:
            text = {"许可内容": f"在{PLACES[self.index]}设置户外广告牌第{version}版", "有效期至": "2027-06-30",
                    "许可决定日期": "2026-10-20", "有效期自": "2026-10-20"}  # fmt: skip
            return licensing_row(self.number, **subject, **text, **follow_up)
        text = {
            "违法事实": f"当事人在{PLACES[self.index]}发布虚假广告第{version}版",
            "违法行为类型": "发布虚假广告",
            "处罚依据": "《中华人民共和国广告法》第五十五条",
            "处罚决定日期": "2026-01-05",
            "处罚有效期": "2026-07-04",
            "失信程度": "",
        }
        return penalty_row(self.number, **subject, **text, **follow_up)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[list[tuple[Slot, str, int]]], dt.date]:
    slots = [Slot(i, licensing=draw(st.booleans())) for i in range(len(NAMES))]
    published = dict.fromkeys(range(len(slots)), False)
    version = dict.fromkeys(range(len(slots)), 0)
    weeks = []
    for _ in WEEKS:
        ops = []
        for slot in slots:
            if published[slot.index]:
                choices = ["", "变更", "撤销"] + ([] if slot.licensing else ["信用修复"])
            else:
                choices = ["", "新增"]
            op = draw(st.sampled_from(choices))
            if op:
                version[slot.index] += 1
                published[slot.index] = op in ("新增", "变更")
                ops.append((slot, op, version[slot.index]))
        weeks.append(ops)
    as_of = draw(st.dates(min_value=WEEKS[0], max_value=dt.date(2029, 12, 31)))
    return weeks, as_of


def identifying(entry: Decision) -> set[str]:
    values = {entry.subject.name, entry.subject.code or ""}
    for key in ("document_number", "facts", "content"):
        value = entry.fields.get(key)
        if isinstance(value, str):
            values.add(value)
    return {v for v in values if len(v) >= 4}


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_nothing_unpublished_remains(
    history: tuple[list[list[tuple[Slot, str, int]]], dt.date], office_key: Ed25519PrivateKey
) -> None:
    weeks, as_of = history
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = new_tree(base / "data_releases", office_key)
        for number, (week, ops) in enumerate(zip(WEEKS, weeks, strict=True)):
            if not ops:
                continue
            rows = [slot.row(version, op, week - dt.timedelta(days=2)) for slot, op, version in ops]
            files = [write_csv(base / f"w{number}-{i}.csv", [row]) for i, row in enumerate(rows)]
            stage_and_sign(root, files, week, office_key)
        if not any(root.glob("0*")):
            return
        out = base / "build"
        build_site(root, max(as_of, WEEKS[0]), out)
        releases = verify_releases(root)
        fold = fold_releases(releases, as_of)
        shown: set[str] = set()
        for record in fold.published():
            shown |= identifying(record.entry)
        hidden = {
            text
            for release in releases
            for _line, entry in release.entries()
            if isinstance(entry, Decision)
            for text in identifying(entry) - shown
        }
        output = all_output_text(out)
        assert sorted(t for t in hidden if t in output) == []
        assert sorted(t for t in shown if t not in output) == []  # the search finds what is there
        assert find_full_ric(output) == []
