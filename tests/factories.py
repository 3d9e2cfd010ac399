"""Hand-made department rows for focused tests (the sample generator makes whole batches)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from stdnum.cn import ric, uscc

from disclosure.canonical import canonical_bytes, sha256_hex
from disclosure.model import Entry, entry_to_json


def code(first17: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    return first17 + uscc.calc_check_digit(first17)


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


MARKET_BUREAU = ("福州市市场监督管理局", code("11350100MB0134567"))
FIRE_BRIGADE = ("福州市消防救援支队", code("11350100MB1782341"))
TAX_BUREAU = ("国家税务总局福州市税务局", code("11350100MB0198766"))
COURT = ("福州市中级人民法院", code("11350100MB0201237"))
COMPANY = ("福州鑫源贸易有限公司", code("91350102MA2YH6TK0"))
RESTAURANT = ("福州闽江楼餐饮管理有限公司", code("91350103MA31K8WQ5"))
SHOP = ("鼓楼区张记小吃店", code("92350102MA2Y0K3L8"))
PERSON_ID = id_number("35010219800101123")


def penalty_row(number: str = "榕市监处罚〔2026〕1001号", **overrides: str) -> dict[str, str]:
    row = {
        "行政相对人名称": COMPANY[0],
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1": COMPANY[1],
        "法定代表人": "陈建华",
        "行政处罚决定书文号": number,
        "违法行为类型": "经营超过保质期的食品",
        "违法事实": "经查，当事人于2026年9月在其经营场所销售超过保质期的预包装食品，货值金额共计人民币860元。",
        "处罚依据": "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项",
        "处罚类别": "罚款；没收违法所得",
        "处罚内容": "没收违法所得人民币860元，罚款人民币5万元",
        "罚款金额（万元）": "5",
        "没收违法所得、没收非法财物的金额（万元）": "0.086",
        "处罚决定日期": "2026-11-10",
        "处罚有效期": "2027-11-09",
        "处罚机关": MARKET_BUREAU[0],
        "处罚机关统一社会信用代码": MARKET_BUREAU[1],
        "失信程度": "一般",
        "数据来源单位": MARKET_BUREAU[0],
        "数据来源单位统一社会信用代码": MARKET_BUREAU[1],
    }
    row.update(overrides)
    return row


def licensing_row(number: str = "榕市监食经许〔2026〕2001号", **overrides: str) -> dict[str, str]:
    row = {
        "行政相对人名称": RESTAURANT[0],
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1": RESTAURANT[1],
        "法定代表人": "林晓燕",
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": number,
        "许可类别": "普通",
        "许可证书名称": "食品经营许可证",
        "许可编号": "JY13501030045678",
        "许可内容": "预包装食品销售（含冷藏冷冻食品），热食类食品制售",
        "许可决定日期": "2026-11-12",
        "有效期自": "2026-11-12",
        "有效期至": "2031-11-11",
        "许可机关": MARKET_BUREAU[0],
        "许可机关统一社会信用代码": MARKET_BUREAU[1],
        "当前状态": "有效",
        "数据来源单位": MARKET_BUREAU[0],
        "数据来源单位统一社会信用代码": MARKET_BUREAU[1],
    }
    row.update(overrides)
    return row


def list_row(number: str = "榕税失信〔2026〕31号", **overrides: str) -> dict[str, str]:
    row = {
        "名单名称": "重大税收违法失信主体",
        "主体名称": COMPANY[0],
        "统一社会信用代码": COMPANY[1],
        "认定文书号": number,
        "列入事由": "虚开增值税专用发票，涉案金额人民币326万元",
        "列入依据": "《重大税收违法失信主体信息公布管理办法》第六条",
        "列入日期": "2026-11-05",
        "认定部门": TAX_BUREAU[0],
        "认定部门统一社会信用代码": TAX_BUREAU[1],
    }
    row.update(overrides)
    return row


def case_item(number: str = "榕信办案例〔2026〕8号", **overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "标题": "福州鑫源贸易有限公司销售过期食品案",
        "案例编号": number,
        "发布日期": "2026-11-13",
        "发布部门": "福州市发展和改革委员会",
        "发布部门统一社会信用代码": code("11350100MB0112233"),
        "案例类别": "食品安全",
        "摘要": "市场监管部门依法查处一起销售超过保质期食品的案件。",
        "正文": "## 基本案情\n\n2026年9月，执法人员在检查中发现……\n\n## 典型意义\n\n- 压实主体责任\n- **守住底线**",
        "涉及主体": [{"名称": COMPANY[0], "统一社会信用代码": COMPANY[1]}],
    }
    item.update(overrides)
    return item


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    headers = list(dict.fromkeys(h for row in rows for h in row))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=headers, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_yaml(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class MemoryRelease:
    """A release held in memory: what the fold needs, without files or signatures."""

    sequence: int
    published: dt.date
    items: list[Entry]

    def entries(self) -> Iterator[tuple[bytes, Entry]]:
        for entry in self.items:
            yield canonical_bytes(entry_to_json(entry)), entry

    def lines(self) -> Iterator[bytes]:
        return (line for line, _ in self.entries())

    @functools.cached_property
    def entry_digests(self) -> list[str]:
        return [sha256_hex(line) for line in self.lines()]
