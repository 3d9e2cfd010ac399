"""A small, hand-made releases tree whose every record is known: the site tests' ground truth.

Week 1 publishes a penalty for each of three subjects, a licence, a black-list entry and a typical case;
week 2 withdraws the individual business's penalty and publishes one more.  As of 2026-11-24 the withdrawn
penalty must have left no trace but its neutral notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.model import Kind
from disclosure.rules import load_rules
from disclosure.sign import sign_release
from disclosure.stage import entry_id, stage_files
from disclosure.trust import init_trust_store
from tests.factories import (
    MARKET_BUREAU,
    RESTAURANT,
    SHOP,
    case_item,
    licensing_row,
    list_row,
    penalty_row,
    write_csv,
    write_yaml,
)

WEEK1 = dt.date(2026, 11, 16)
WEEK2 = dt.date(2026, 11, 23)
AS_OF = dt.date(2026, 11, 24)
WITHDRAWN_NUMBER = "榕市监处罚〔2026〕1002号"
WITHDRAWN_ID = entry_id(Kind.PENALTY, MARKET_BUREAU[1], WITHDRAWN_NUMBER)
COMPANY_PENALTY_ID = entry_id(Kind.PENALTY, MARKET_BUREAU[1], "榕市监处罚〔2026〕1001号")


@dataclass(frozen=True)
class SiteTree:
    root: Path
    key: Ed25519PrivateKey


def _stage_sign(root: Path, files: list[Path], day: dt.date, key: Ed25519PrivateKey) -> None:
    path, result = stage_files(files, releases_root=root, release_date=day, rules=load_rules())
    assert path is not None, "\n".join(map(str, result.errors))
    sign_release(path, key, releases_root=root)


def make_site_tree(base: Path, key: Ed25519PrivateKey) -> SiteTree:
    root = base / "data_releases"
    init_trust_store(root, key.public_key(), dt.date(2026, 1, 1))
    inbox = base / "inbox"
    inbox.mkdir(parents=True)
    penalties = [
        penalty_row("榕市监处罚〔2026〕1001号"),
        penalty_row(
            WITHDRAWN_NUMBER,
            **{
                "行政相对人名称": SHOP[0],
                "行政相对人类别": "个体工商户",
                "行政相对人代码_1": SHOP[1],
                "违法事实": "当事人在鼓楼区温泉路经营的门店使用超过保质期的食品原料制作糕点。",
            },
        ),  # fmt: skip
        penalty_row(
            "榕市监处罚〔2026〕1003号",
            **{
                "行政相对人名称": RESTAURANT[0],
                "行政相对人代码_1": RESTAURANT[1],
                "违法事实": "当事人未按规定建立并遵守进货查验记录制度。",
            },
        ),  # fmt: skip
    ]
    week1 = [
        write_csv(inbox / "penalty.csv", penalties),
        write_csv(inbox / "licensing.csv", [licensing_row()], encoding="gb18030"),
        write_csv(inbox / "blacklist.csv", [list_row()]),
        write_yaml(inbox / "cases.yaml", [case_item()]),
    ]
    _stage_sign(root, week1, WEEK1, key)
    withdraw = penalty_row(
        WITHDRAWN_NUMBER,
        **{"行政相对人名称": SHOP[0], "行政相对人类别": "个体工商户", "行政相对人代码_1": SHOP[1],
           "操作": "撤销", "操作日期": "2026-11-20", "操作原因": "决定被撤销",
           "操作依据": "福州市人民政府行政复议决定书榕政复决〔2026〕88号"},
    )  # fmt: skip
    week2_inbox = base / "inbox2"
    week2_inbox.mkdir()
    week2 = [
        write_csv(week2_inbox / "withdraw.csv", [withdraw]),
        write_csv(
            week2_inbox / "penalty.csv",
            [
                penalty_row(
                    "榕市监处罚〔2026〕1004号", **{"处罚决定日期": "2026-11-19", "处罚有效期": "2027-11-18"}
                )
            ],
        ),
    ]
    _stage_sign(root, week2, WEEK2, key)
    return SiteTree(root=root, key=key)
