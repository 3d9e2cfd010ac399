"""The columns departments send: the national 双公示 standard's fields and the list fields.

Each :class:`Column` maps a Chinese header (as the standard names it) to an
English id used in releases, says how its cells are checked, and whether it is
published.  Importers, staging, the sample generator and the record pages all
read these tables; nothing else spells a header.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from disclosure.model import Kind


class CellType(StrEnum):
    TEXT = "text"  # free text, published as is
    NAME = "name"  # a short single-line text
    DATE = "date"
    USCC = "uscc"  # 统一社会信用代码
    ID_NUMBER = "id_number"  # 居民身份证号码 etc.: masked when published
    AMOUNT = "amount"  # 万元, a decimal number
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"  # several choices separated by ；; 、 ,


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    type: CellType = CellType.TEXT
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    published: bool = True


SUBJECT_CATEGORIES = ("法人及非法人组织", "自然人", "个体工商户")
LICENSE_CATEGORIES = ("普通", "特许", "认可", "核准", "登记", "其他")
LICENSE_STATUSES = ("有效", "无效")
PENALTY_TYPES = (
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得",
    "没收非法财物",
    "暂扣许可证件",
    "降低资质等级",
    "吊销许可证件",
    "限制开展生产经营活动",
    "责令停产停业",
    "责令关闭",
    "限制从业",
    "行政拘留",
    "其他",
)
SEVERITY_TIERS = ("轻微", "一般", "严重")
ID_TYPES = (
    "身份证",
    "居民身份证",
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "外国人永久居留身份证",
    "其他",
)

# Operation columns: which change a row asks for.  Absent means 新增 (publish).
OPERATION_CHOICES = ("新增", "变更", "信用修复", "撤销")
OPERATION_COLUMNS: tuple[Column, ...] = (
    Column("operation", "操作", CellType.CHOICE, choices=OPERATION_CHOICES, published=False),
    Column("operation_date", "操作日期", CellType.DATE, published=False),
    Column(
        "operation_reason",
        "操作原因",
        CellType.CHOICE,
        choices=(
            "信用修复",
            "履行完毕",
            "移出名单",
            "决定被撤销",
            "决定被变更",
            "决定被确认违法",
            "异议申诉更正",
            "数据错误更正",
        ),
        published=False,
    ),
    Column("operation_basis", "操作依据", CellType.TEXT, max_length=1000, published=False),
)

_SUBJECT_COLUMNS: tuple[Column, ...] = (
    Column("subject_name", "行政相对人名称", CellType.NAME, required=True),
    Column("subject_category", "行政相对人类别", CellType.CHOICE, required=True, choices=SUBJECT_CATEGORIES),
    Column("subject_uscc", "行政相对人代码_1", CellType.USCC, max_length=18, aliases=("统一社会信用代码",)),
    Column(
        "subject_registration_number",
        "行政相对人代码_2",
        CellType.NAME,
        max_length=50,
        aliases=("工商注册号",),
    ),
    Column(
        "subject_organization_code",
        "行政相对人代码_3",
        CellType.NAME,
        max_length=50,
        aliases=("组织机构代码",),
    ),
    Column("subject_tax_number", "行政相对人代码_4", CellType.NAME, max_length=50, aliases=("税务登记号",)),
    Column(
        "subject_institution_number",
        "行政相对人代码_5",
        CellType.NAME,
        max_length=50,
        aliases=("事业单位证书号",),
    ),
    Column(
        "subject_social_org_number",
        "行政相对人代码_6",
        CellType.NAME,
        max_length=50,
        aliases=("社会组织登记证号",),
    ),
    Column("legal_representative", "法定代表人", CellType.NAME, max_length=50),
    Column("legal_representative_id_type", "法定代表人证件类型", CellType.CHOICE, choices=ID_TYPES),
    Column("legal_representative_id_number", "法定代表人证件号码", CellType.ID_NUMBER, max_length=64),
    Column("id_type", "证件类型", CellType.CHOICE, choices=ID_TYPES),
    Column("id_number", "证件号码", CellType.ID_NUMBER, max_length=64),
)

_SOURCE_COLUMNS: tuple[Column, ...] = (
    Column("source", "数据来源单位", CellType.NAME, required=True),
    Column("source_uscc", "数据来源单位统一社会信用代码", CellType.USCC, required=True, max_length=18),
    Column("remarks", "备注", CellType.TEXT, max_length=1000),
)

LICENSING_COLUMNS: tuple[Column, ...] = (
    *_SUBJECT_COLUMNS,
    Column("decision_title", "行政许可决定文书名称", CellType.NAME, required=True),
    Column("document_number", "行政许可决定文书号", CellType.NAME, required=True, max_length=128),
    Column("license_category", "许可类别", CellType.CHOICE, required=True, choices=LICENSE_CATEGORIES),
    Column("certificate_name", "许可证书名称", CellType.NAME),
    Column("license_number", "许可编号", CellType.NAME, max_length=128),
    Column("content", "许可内容", CellType.TEXT, required=True, max_length=4000),
    Column("decided", "许可决定日期", CellType.DATE, required=True),
    Column("valid_from", "有效期自", CellType.DATE, required=True),
    Column("valid_until", "有效期至", CellType.DATE, required=True),
    Column("authority", "许可机关", CellType.NAME, required=True),
    Column("authority_uscc", "许可机关统一社会信用代码", CellType.USCC, required=True, max_length=18),
    Column("status", "当前状态", CellType.CHOICE, required=True, choices=LICENSE_STATUSES),
    *_SOURCE_COLUMNS,
)

PENALTY_COLUMNS: tuple[Column, ...] = (
    *_SUBJECT_COLUMNS,
    Column("document_number", "行政处罚决定书文号", CellType.NAME, required=True, max_length=128),
    Column("violation_type", "违法行为类型", CellType.NAME, required=True, max_length=500),
    Column("facts", "违法事实", CellType.TEXT, required=True, max_length=5000),
    Column("basis", "处罚依据", CellType.TEXT, required=True, max_length=2000),
    Column("penalty_types", "处罚类别", CellType.MULTI_CHOICE, required=True, choices=PENALTY_TYPES),
    Column("content", "处罚内容", CellType.TEXT, required=True, max_length=4000),
    Column("fine", "罚款金额（万元）", CellType.AMOUNT, max_length=20),
    Column("confiscated", "没收违法所得、没收非法财物的金额（万元）", CellType.AMOUNT, max_length=20),
    Column("license_affected", "暂扣或吊销证照名称及编号", CellType.NAME, max_length=500),
    Column("decided", "处罚决定日期", CellType.DATE, required=True),
    Column("penalty_valid_until", "处罚有效期", CellType.DATE, required=True),
    Column("publicity_until", "公示截止期", CellType.DATE),
    Column("authority", "处罚机关", CellType.NAME, required=True),
    Column("authority_uscc", "处罚机关统一社会信用代码", CellType.USCC, required=True, max_length=18),
    Column("severity", "失信程度", CellType.CHOICE, choices=SEVERITY_TIERS),
    *_SOURCE_COLUMNS,
)

LIST_COLUMNS: tuple[Column, ...] = (
    Column("list_name", "名单名称", CellType.NAME, required=True),
    Column("subject_name", "主体名称", CellType.NAME, required=True),
    Column("subject_category", "主体类别", CellType.CHOICE, choices=SUBJECT_CATEGORIES),
    Column("subject_uscc", "统一社会信用代码", CellType.USCC, max_length=18),
    Column("id_type", "证件类型", CellType.CHOICE, choices=ID_TYPES),
    Column("id_number", "证件号码", CellType.ID_NUMBER, max_length=64),
    Column(
        "document_number",
        "认定文书号",
        CellType.NAME,
        max_length=128,
        aliases=("列入文书号", "认定/列入文书号"),
    ),
    Column(
        "reason",
        "列入事由",
        CellType.TEXT,
        required=True,
        max_length=2000,
        aliases=("认定事由", "认定/列入事由"),
    ),
    Column(
        "basis",
        "列入依据",
        CellType.TEXT,
        required=True,
        max_length=2000,
        aliases=("认定依据", "认定/列入依据"),
    ),
    Column("decided", "列入日期", CellType.DATE, required=True, aliases=("认定日期", "认定/列入日期")),
    Column("valid_until", "有效期至", CellType.DATE),
    Column("authority", "认定部门", CellType.NAME, required=True),
    Column("authority_uscc", "认定部门统一社会信用代码", CellType.USCC, required=True, max_length=18),
    Column("court", "执行法院", CellType.NAME),
    Column("case_number", "案号", CellType.NAME, max_length=128),
    Column("enforcement_basis", "执行依据文号", CellType.NAME, max_length=200),
    Column("obligation", "生效法律文书确定的义务", CellType.TEXT, max_length=4000),
    Column("performance", "履行情况", CellType.NAME),
    Column("remarks", "备注", CellType.TEXT, max_length=1000),
)

# Typical cases come as YAML (Markdown body); these are their keys.
CASE_COLUMNS: tuple[Column, ...] = (
    Column("title", "标题", CellType.NAME, required=True),
    Column("case_number", "案例编号", CellType.NAME, required=True, max_length=64),
    Column("decided", "发布日期", CellType.DATE, required=True),
    Column("authority", "发布部门", CellType.NAME, required=True),
    Column("authority_uscc", "发布部门统一社会信用代码", CellType.USCC, required=True, max_length=18),
    Column("category", "案例类别", CellType.NAME),
    Column("summary", "摘要", CellType.TEXT, required=True, max_length=1000),
    Column("body", "正文", CellType.TEXT, required=True, max_length=50_000),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.LICENSING: LICENSING_COLUMNS,
    Kind.PENALTY: PENALTY_COLUMNS,
    Kind.REDLIST: LIST_COLUMNS,
    Kind.BLACKLIST: LIST_COLUMNS,
    Kind.CASE: CASE_COLUMNS,
}

# The header that tells which table a spreadsheet is.
KIND_MARKERS: tuple[tuple[str, str], ...] = (
    ("行政许可决定文书号", "licensing"),
    ("行政处罚决定书文号", "penalty"),
    ("名单名称", "list"),
    # Sheets with English ids: document_number is shared, so use a column only one table has.
    ("license_category", "licensing"),
    ("penalty_types", "penalty"),
    ("list_name", "list"),
)


def normalize_header(text: str) -> str:
    """Fold width and spaces so that （万元） and (万元), 'ID ' and 'ID' match."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def header_index(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Every accepted spelling of a header (label, aliases, English id) to its column."""
    index: dict[str, Column] = {}
    for column in (*columns, *OPERATION_COLUMNS):
        for spelling in (column.label, *column.aliases, column.id):
            index[normalize_header(spelling)] = column
    return index


def column_label(kind: Kind, column_id: str) -> str:
    """The Chinese label of a published field, for pages and downloads."""
    for column in COLUMNS[kind]:
        if column.id == column_id:
            return column.label
    return column_id
