"""One realistic weekly batch of department spreadsheets, for demos, tests and benchmarks.

The batch is what staging must accept without a single error: the standard's
Chinese headers, valid credit codes and identity-card numbers, decision dates
and publicity terms that the rules allow, and follow-ups (变更, 信用修复, 撤销)
of what is published now.  Everything is drawn from one seeded generator, so
the same arguments give byte-identical files; subjects come from a pool that
does not depend on the seed, so entity pages gather records across weeks.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from stdnum.cn import ric, uscc

from disclosure._internal.cells import parse_date
from disclosure.fields import CASE_COLUMNS, COLUMNS, LIST_COLUMNS, OPERATION_COLUMNS, CellType, Column
from disclosure.model import REPAIR_REASONS, WITHDRAW_REASONS, Decision, Kind, Publicity, SubjectType
from disclosure.rules import Rules, add_months, load_rules, penalty_publicity, term_end
from disclosure.stage import entry_id
from disclosure.timeliness import is_working_day, working_days_between

_FUZHOU = (
    ("350102", "鼓楼区"), ("350103", "台江区"), ("350104", "仓山区"), ("350105", "马尾区"),
    ("350111", "晋安区"), ("350112", "长乐区"), ("350121", "闽侯县"), ("350122", "连江县"),
    ("350123", "罗源县"), ("350124", "闽清县"), ("350125", "永泰县"), ("350128", "平潭县"),
    ("350181", "福清市"),
)  # fmt: skip
_SURNAMES = "陈林黄郑王张李吴刘杨许何周高徐曾游魏翁蔡朱潘叶谢江卓詹薛邱罗"
_GIVEN = "建华晓燕志强秀英丽娟明辉海峰文杰宇航婷伟俊玉兰国庆金水德胜清瑞琪思远丹凤碧霞荣生春梅长发宗"
_BRAND = "鑫源恒泰盛达华兴隆昌丰瑞祥宏远通海闽榕江鼎新嘉禾润福佳鸿腾安康永金汇众诚信德锦天宝利"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# (industry word, group): a department penalises and licenses subjects of its own groups.
_INDUSTRIES = (
    ("食品", "food"), ("餐饮管理", "food"), ("水产", "food"), ("茶业", "food"), ("超市", "food"),
    ("贸易", "trade"), ("商贸", "trade"), ("进出口", "trade"), ("建筑工程", "build"), ("建材", "build"),
    ("房地产开发", "build"), ("物流", "transport"), ("汽车运输", "transport"), ("旅游客运", "transport"),
    ("环保科技", "industry"), ("化工", "industry"), ("机械制造", "industry"), ("纺织", "industry"),
    ("电子科技", "industry"), ("医药", "health"), ("医疗器械", "health"), ("酒店管理", "service"),
    ("物业管理", "service"), ("网络科技", "service"), ("文化传媒", "service"),
)  # fmt: skip
_SHOPS = (
    ("小吃店", "food"), ("餐馆", "food"), ("便利店", "food"), ("水果店", "food"), ("五金店", "trade"),
    ("建材店", "build"), ("汽车修理厂", "transport"), ("货运部", "transport"), ("诊所", "health"),
    ("大药房", "health"), ("理发店", "service"), ("足浴店", "service"), ("废品收购站", "industry"),
)  # fmt: skip
_INSTITUTIONS = (
    ("第{n}中心小学", "service"), ("实验幼儿园", "service"), ("社区卫生服务中心", "health"),
    ("中医院", "health"), ("市政工程管理处", "build"), ("环境卫生管理处", "service"),
)  # fmt: skip
_DISTRICTS = dict(_FUZHOU)
_ALL_GROUPS = ("food", "trade", "build", "transport", "industry", "health", "service")

# key, name, first 17 characters of its credit code, document prefix, CSV encoding, date style, groups, case category
_DEPARTMENTS = (
    ("scjg", "福州市市场监督管理局", "11350100MB0134567", "榕市监", "utf-8-sig", 0, ("food", "trade", "service"), "市场监管"),
    ("sthj", "福州市生态环境局", "11350100MB0156782", "榕环", "gb18030", 1, ("industry", "build"), "生态环境"),
    ("jtys", "福州市交通运输局", "11350100MB0161234", "榕交", "utf-8", 0, ("transport",), "交通运输"),
    ("cgw", "福州市城市管理委员会", "11350100MB0177453", "榕城管", "gb18030", 2, ("build", "service"), "城市管理"),
    ("yjgl", "福州市应急管理局", "11350100MB0182216", "榕应急", "utf-8-sig", 0, ("industry",), "安全生产"),
    ("wjw", "福州市卫生健康委员会", "11350100MB0193375", "榕卫", "utf-8", 1, ("health", "service"), "医疗卫生"),
    ("xfjy", "福州市消防救援支队", "11350100MB1782341", "榕消", "gb18030", 0, ("service", "food"), "消防安全"),
    ("sw", "国家税务总局福州市税务局", "11350100MB0198766", "榕税", "utf-8-sig", 0, _ALL_GROUPS, "税收"),
    ("fy", "福州市中级人民法院", "11350100MB0201237", "闽01执", "utf-8", 0, _ALL_GROUPS, "司法"),
    ("hg", "福州海关", "11350100MB0213348", "榕关", "utf-8-sig", 2, ("trade", "industry"), "海关"),
    ("cz", "福州市财政局", "11350100MB0224459", "榕财", "gb18030", 1, ("build", "service"), "政府采购"),
    ("fgw", "福州市发展和改革委员会", "11350100MB0112233", "榕信办", "utf-8", 0, _ALL_GROUPS, "信用建设"),
)  # fmt: skip

# department, decision title, certificate, category, number prefix, abbreviation, content, term in months
# (0: no end; negative: a short permit ending within that many days of the week), subject kinds, groups
_LICENCES = (
    ("scjg", "食品经营许可决定书", "食品经营许可证", "普通", "JY1", "食经", "预包装食品销售（含冷藏冷冻食品），热食类食品制售", 60, "LLBB", "food"),
    ("scjg", "准予设立登记通知书", "营业执照", "登记", "", "登", "准予设立登记", 0, "LB", "*"),
    ("scjg", "特种设备使用登记决定书", "特种设备使用登记证", "登记", "梯", "特登", "乘客电梯使用登记", 0, "L", "service industry build"),
    ("sthj", "排污许可决定书", "排污许可证", "普通", "PW", "排许", "准予按许可排放浓度和总量排放大气、水污染物", 60, "L", "industry"),
    ("sthj", "建设项目环境影响报告表审批决定", "", "普通", "", "环评", "同意该建设项目按报告表所列性质、规模、地点和环境保护措施建设", 0, "L", "industry build"),
    ("jtys", "道路运输经营许可决定书", "道路运输经营许可证", "普通", "闽交运管许可榕字", "运许", "道路普通货物运输", 48, "LB", "transport"),
    ("jtys", "网络预约出租汽车驾驶员证核发决定书", "网络预约出租汽车驾驶员证", "认可", "WYJ", "网驾", "准予从事网络预约出租汽车客运服务", 72, "P", "*"),
    ("jtys", "超限运输车辆行驶公路许可决定书", "超限运输车辆通行证", "普通", "CX", "超限", "准予大件运输车辆按核定路线、时间通行", -20, "LB", "transport build"),
    ("cgw", "户外广告设施设置许可决定书", "户外广告设置许可证", "普通", "GG", "广告", "准予在核定位置设置户外广告设施", 36, "LB", "service trade food"),
    ("cgw", "城市建筑垃圾处置核准决定书", "城市建筑垃圾处置核准证", "核准", "JZ", "建垃", "准予按核准的运输路线和消纳场所处置建筑垃圾", -45, "L", "build transport"),
    ("cgw", "临时占用城市道路许可决定书", "", "普通", "", "占道", "准予临时占用城市道路堆放施工材料", -30, "LBP", "build"),
    ("yjgl", "危险化学品经营许可决定书", "危险化学品经营许可证", "普通", "闽榕危化经", "危化", "批发（无储存）：汽油、柴油、甲醇", 36, "L", "industry"),
    ("yjgl", "烟花爆竹经营（零售）许可决定书", "烟花爆竹经营（零售）许可证", "普通", "YH", "烟零", "零售烟花爆竹（个人燃放类）", -40, "B", "food trade"),
    ("wjw", "医疗机构执业许可决定书", "医疗机构执业许可证", "普通", "PDY", "医机", "诊疗科目：内科、外科、口腔科、医学检验科", 60, "LB", "health"),
    ("wjw", "公共场所卫生许可决定书", "公共场所卫生许可证", "普通", "WS", "公卫", "住宿业、沐浴场所", 48, "LB", "service"),
)  # fmt: skip

# department, violation type, facts, basis, types, heavier type for 严重 (type, content, certificate),
# fine range in yuan, subject kinds (L legal person, B individual business, P natural person), groups
_VIOLATIONS = (
    ("scjg", "经营超过保质期的食品", "经查，当事人于{month}在其位于{district}的经营场所销售超过保质期的预包装食品{n}批次，货值金额共计人民币{value}元。", "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项", ("罚款", "没收违法所得"), ("吊销许可证件", "吊销食品经营许可证", "食品经营许可证"), 50000, 100000, "LLBB", "food"),
    ("scjg", "未按规定查验供货者许可证和食品合格证明文件", "经查，当事人于{month}采购食用农产品{n}批次，未查验供货者的许可证和产品合格证明文件，未建立进货查验记录。", "《中华人民共和国食品安全法》第一百二十六条第一款第（三）项", ("警告", "罚款"), None, 5000, 50000, "LBB", "food"),
    ("scjg", "发布虚假广告", "经查，当事人于{month}通过其微信公众号发布含有“国家级”“最佳”等用语及虚构产品功效内容的广告，广告费用人民币{value}元。", "《中华人民共和国广告法》第五十五条第一款", ("罚款",), ("限制开展生产经营活动", "一年内不受理其广告审查申请", ""), 10000, 200000, "L", "health food service trade"),
    ("scjg", "销售不合格产品", "经抽样检验，当事人销售的电线电缆{n}批次导体电阻项目不合格，货值金额人民币{value}元。", "《中华人民共和国产品质量法》第四十九条", ("罚款", "没收违法所得"), None, 5000, 80000, "LB", "trade build"),
    ("scjg", "特种设备未经定期检验继续使用", "经查，当事人使用的{n}台电梯超过定期检验有效期仍继续使用。", "《中华人民共和国特种设备安全法》第八十四条第（一）项", ("罚款",), ("责令停产停业", "责令停止使用相关特种设备", ""), 30000, 300000, "L", "service industry build"),
    ("scjg", "未取得食品经营许可从事食品经营活动", "经查，当事人自{month}起在{district}某农贸市场内未取得食品经营许可擅自从事熟食制售活动。", "《中华人民共和国食品安全法》第一百二十二条第一款", ("罚款", "没收违法所得"), None, 50000, 100000, "P", "*"),
    ("sthj", "超过排放标准排放大气污染物", "经监测，当事人位于{district}的厂区废气排放口颗粒物排放浓度超过排放标准限值{n}倍。", "《中华人民共和国大气污染防治法》第九十九条第（二）项", ("罚款",), ("责令停产停业", "责令停产整治", ""), 100000, 1000000, "L", "industry"),
    ("sthj", "建设项目未依法报批环境影响评价文件擅自开工建设", "经查，当事人位于{district}的建设项目未依法报批环境影响评价文件，于{month}擅自开工建设。", "《中华人民共和国环境影响评价法》第三十一条第一款", ("罚款",), None, 20000, 200000, "L", "industry build"),
    ("sthj", "通过暗管逃避监管的方式排放水污染物", "经现场检查，当事人通过暗管将生产废水直接排入{district}市政雨水管网。", "《中华人民共和国水污染防治法》第八十三条第（三）项", ("罚款",), ("责令停产停业", "责令停产整治", ""), 200000, 1000000, "L", "industry"),
    ("sthj", "未按规定设置危险废物识别标志", "经查，当事人危险废物贮存场所未按规定设置识别标志，贮存废矿物油约{n}吨。", "《中华人民共和国固体废物污染环境防治法》第一百一十二条第一款第（一）项", ("罚款",), None, 100000, 1000000, "L", "industry"),
    ("jtys", "未取得道路运输经营许可擅自从事道路客运经营", "经查，当事人于{month}驾驶闽A·{plate}小型轿车在{district}非法从事道路旅客运输经营，按次收费。", "《中华人民共和国道路运输条例》第六十三条", ("罚款", "没收违法所得"), None, 10000, 100000, "PPPB", "transport"),
    ("jtys", "未取得网络预约出租汽车运输证从事网约车经营", "经查，当事人于{month}驾驶闽A·{plate}车辆，未取得网络预约出租汽车运输证，通过网约车平台承接订单从事经营活动。", "《网络预约出租汽车经营服务管理暂行办法》第三十四条第（一）项", ("罚款",), None, 3000, 10000, "P", "*"),
    ("jtys", "道路货物运输车辆超限运输", "经检测，当事人所属闽A·{plate}重型半挂牵引车车货总质量超过限定标准{n}吨。", "《公路安全保护条例》第六十四条", ("罚款",), ("暂扣许可证件", "暂扣道路运输证", "道路运输证"), 500, 30000, "LB", "transport build"),
    ("cgw", "擅自设置户外广告设施", "经查，当事人未经批准于{month}在{district}某路段建筑外立面擅自设置户外广告设施，面积约{n}平方米。", "《城市市容和环境卫生管理条例》第三十六条第（二）项", ("罚款",), None, 1000, 10000, "LB", "service trade food"),
    ("cgw", "建筑垃圾运输车辆沿途撒漏", "经查，当事人所属闽A·{plate}建筑垃圾运输车辆于{month}在{district}某路段运输过程中沿途撒漏。", "《城市建筑垃圾管理规定》第二十三条", ("罚款",), None, 5000, 50000, "L", "build transport"),
    ("cgw", "擅自占用城市道路", "经查，当事人于{month}擅自占用{district}某路段人行道堆放建筑材料，面积约{n}平方米。", "《城市道路管理条例》第四十二条第（二）项", ("罚款",), None, 500, 20000, "LBP", "build trade"),
    ("yjgl", "未按规定对从业人员进行安全生产教育和培训", "经查，当事人未对{n}名新入职从业人员进行安全生产教育和培训即安排上岗作业。", "《中华人民共和国安全生产法》第九十七条第（三）项", ("罚款",), ("责令停产停业", "责令停产停业整顿", ""), 10000, 100000, "L", "industry"),
    ("yjgl", "未对重大危险源登记建档并进行定期检测评估", "经查，当事人未对其储罐区重大危险源登记建档，{month}以来未进行定期检测、评估。", "《中华人民共和国安全生产法》第一百零一条第（二）项", ("罚款",), ("责令停产停业", "责令停产停业整顿", ""), 50000, 200000, "L", "industry"),
    ("yjgl", "危险化学品经营企业未如实记录购买单位信息", "经查，当事人{month}销售危险化学品{n}次，未如实记录购买单位名称、地址和经办人信息。", "《危险化学品安全管理条例》第八十一条第一款第（四）项", ("罚款",), None, 10000, 50000, "L", "industry"),
    ("wjw", "使用非卫生技术人员从事医疗卫生技术工作", "经查，当事人于{month}使用{n}名未取得执业资格的人员从事护理工作。", "《医疗机构管理条例》第四十七条", ("罚款",), ("吊销许可证件", "吊销医疗机构执业许可证", "医疗机构执业许可证"), 50000, 150000, "LB", "health"),
    ("wjw", "公共场所从业人员未取得有效健康合格证明上岗", "经查，当事人安排{n}名未取得有效健康合格证明的从业人员从事直接为顾客服务的工作。", "《公共场所卫生管理条例实施细则》第三十八条", ("警告", "罚款"), None, 500, 5000, "LBB", "service"),
    ("wjw", "医师未按照注册的执业地点执业", "经查，当事人于{month}在{district}某诊所从事诊疗活动，该执业地点与其注册的执业地点不一致。", "《中华人民共和国医师法》第五十七条", ("警告", "罚款"), None, 10000, 30000, "P", "*"),
    ("xfjy", "消防设施、器材未保持完好有效", "经检查，当事人位于{district}的经营场所内{n}具灭火器压力不足，室内消火栓无水。", "《中华人民共和国消防法》第六十条第一款第（一）项", ("罚款",), None, 5000, 50000, "LB", "service food trade"),
    ("xfjy", "占用、堵塞、封闭疏散通道、安全出口", "经检查，当事人位于{district}的经营场所{n}处安全出口被货物堵塞。", "《中华人民共和国消防法》第六十条第一款第（三）项", ("罚款",), ("责令停产停业", "责令停产停业", ""), 5000, 50000, "LB", "service food trade"),
)  # fmt: skip

# list name, department, number abbreviation, reason, basis, weight within its kind, subject kinds
_LISTS = (
    ("A级纳税人", "sw", "A级", "{year}年度纳税信用评价结果为A级", "《纳税信用管理办法（试行）》第二十二条", 3, "L"),
    ("海关高级认证企业", "hg", "AEO", "经海关认证，符合海关高级认证企业标准", "《中华人民共和国海关注册登记和备案企业信用管理办法》第十一条", 1, "L"),
    ("守合同重信用企业", "scjg", "守重", "连续两年合同履约率高、信用记录良好，经评审公示认定", "《福建省守合同重信用企业公示活动管理办法》", 2, "L"),
    ("失信被执行人", "fy", "", "有履行能力而拒不履行生效法律文书确定的义务", "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第（一）项", 5, "PPPLB"),
    ("重大税收违法失信主体", "sw", "税失", "虚开增值税专用发票{n}份，涉及税款人民币{value}元", "《重大税收违法失信主体信息公布管理办法》第六条", 2, "L"),
    ("严重失信主体名单", "scjg", "严失", "提交虚假材料取得公司变更登记，受到较重行政处罚", "《市场监督管理严重违法失信名单管理办法》第九条", 1, "L"),
    ("政府采购严重违法失信行为记录", "cz", "采失", "在政府采购活动中提供虚假材料谋取中标", "《中华人民共和国政府采购法》第七十七条第一款", 1, "L"),
    ("安全生产严重失信主体", "yjgl", "安失", "存在重大事故隐患且拒不执行责令停产停业整顿决定", "《安全生产严重失信主体名单管理办法》第五条", 1, "L"),
)  # fmt: skip
_REDLISTS = ("A级纳税人", "海关高级认证企业", "守合同重信用企业")
_LESSONS = (
    "本案警示经营者必须严格落实主体责任，守法诚信经营。",
    "行政处罚信息依法向社会公示，失信行为将在信用中国（福建福州）网站记录，影响招投标、融资等市场活动。",
    "监管部门将持续加大执法力度，对违法失信行为“零容忍”，并依法依规实施信用惩戒。",
    "经营者在公示期满后可依法申请信用修复，以诚信经营重塑信用。",
)
_WITHDRAW_BASES = {
    "revoked": "榕政复决字〔{y}〕{n}号行政复议决定",
    "changed": "原决定机关复核后变更原决定",
    "unlawful": "（{y}）闽0102行初{n}号行政判决书",
    "objection": "经信用主体异议申诉核查，原公示信息有误",
    "error": "经核查，原报送数据有误",
}
_COURT_ONLY = ("court", "case_number", "enforcement_basis", "obligation", "performance")
_TABLE_COLUMNS = {**COLUMNS, Kind.REDLIST: LIST_COLUMNS, Kind.BLACKLIST: LIST_COLUMNS}
_DATE_STYLES = ("{0:%Y-%m-%d}", "{0.year}/{0.month}/{0.day}", "{0.year}年{0.month}月{0.day}日")


@dataclass(frozen=True, slots=True)
class _Department:
    key: str
    name: str
    code: str
    prefix: str
    encoding: str
    date_style: str
    groups: tuple[str, ...]
    category: str

    @property
    def cells(self) -> dict[str, str]:
        """The deciding authority, which is also the data source."""
        code = self.code
        return {"authority": self.name, "authority_uscc": code, "source": self.name, "source_uscc": code}


@dataclass(frozen=True, slots=True)
class _Subject:
    name: str
    code: str  # "" for a natural person
    category: str  # a SUBJECT_CATEGORIES label
    person: str  # legal representative or operator (or the person)
    person_id: str  # that person's identity-card number
    group: str


def _credit_code(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


_DEPTS = {
    d[0]: _Department(d[0], d[1], _credit_code(d[2]), d[3], d[4], _DATE_STYLES[d[5]], d[6], d[7])
    for d in _DEPARTMENTS
}
_FileKey = tuple[str, str, Kind]  # department name, department code, kind


def write_sample(
    out_dir: Path,
    *,
    records: int,
    seed: int,
    week: dt.date,
    published: Sequence[Decision] = (),
    since: dt.date | None = None,
) -> list[Path]:
    """Write one week's department files into ``out_dir`` and return their paths, sorted.

    ``records`` new rows are spread over the five kinds; ``published`` (what is
    on the site on ``week``) gets a few amendments, repairs and withdrawals.
    With ``since``, the batch is an archive brought in at once (a city's first release): its
    decision dates are spread evenly over the working days from ``since`` to ``week``, as years
    of weekly batches would leave them, instead of most within the last 7 working days.
    """
    if records < 0:
        raise ValueError("records must not be negative")
    if since is not None and not since < week:
        raise ValueError(f"since ({since}) must come before the week ({week})")
    batch = _Batch(seed, week, published, max(200, records // 2), since)
    batch.generate(records)
    batch.follow_ups(random.Random(f"{seed}/{week.isoformat()}/follow-ups"), published, records)
    return batch.write(out_dir)


@lru_cache(maxsize=4)
def _pool(size: int) -> tuple[tuple[_Subject, ...], tuple[_Subject, ...]]:
    """Organisations and people; a larger pool extends a smaller one, so subjects recur across weeks."""
    rng = random.Random("disclosure-sample/subjects/1")
    organisations: list[_Subject] = []
    names: set[str] = set()
    while len(organisations) < size:
        subject = _organisation(rng)
        if subject.name not in names:
            names.add(subject.name)
            organisations.append(subject)
    people = tuple(
        _Subject(name, "", "自然人", name, number, "")
        for name, number in (_person(rng) for _ in range(max(50, size // 5)))
    )
    return tuple(organisations), people


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    birth = dt.date(1956, 1, 1) + dt.timedelta(days=rng.randrange(18000))
    body = f"{rng.choice(_FUZHOU)[0]}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return name, body + ric.calc_check_digit(body + "0")


def _organisation(rng: random.Random) -> _Subject:
    division, district = rng.choice(_FUZHOU)
    brand = "".join(rng.sample(_BRAND, 2))
    tail = "".join(rng.choice(_CODE_CHARS) for _ in range(7))
    person, person_id = _person(rng)
    roll = rng.random()
    if roll < 0.15:
        shop, group = rng.choice(_SHOPS)
        name = f"{district}{person[0]}记{shop}" if rng.random() < 0.5 else f"{district}{brand}{shop}"
        return _Subject(name, _credit_code(f"92{division}MA{tail}"), "个体工商户", person, person_id, group)
    if roll < 0.21:
        kind, group = rng.choice(_INSTITUTIONS)
        name = f"福州市{district}{kind.format(n=rng.choice('一二三四五六七八九'))}"
        code = f"12{division}4{rng.randrange(10**7):07d}{rng.choice(_CODE_CHARS)}"
    elif roll < 0.24:
        industry, group = rng.choice(_INDUSTRIES)
        name, code = f"福州市{district}{industry}行业协会", f"52{division}5{tail}0"
    elif roll < 0.27:
        division, district = rng.choice(_FUZHOU[6:])  # rural counties
        name, code, group = f"{district}{brand}果蔬专业合作社", f"93{division}MA{tail}", "food"
    elif roll < 0.30:
        division, district = rng.choice(_FUZHOU[6:])
        name, code, group = f"{district}{brand}村股份经济合作社", f"N2{division}5{tail}0", "food"
    else:
        industry, group = rng.choice(_INDUSTRIES)
        place = rng.choice(("福州", "福州", "福建", f"福州市{district}"))
        suffix = rng.choice(("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"))
        name, code = f"{place}{brand}{industry}{suffix}", f"91{division}MA{tail}"
    return _Subject(name, _credit_code(code[:17]), "法人及非法人组织", person, person_id, group)


def _wan(yuan: int) -> str:
    """Yuan as 万元 the way departments type it: 5, 0.05, 12.35."""
    return format(Decimal(yuan).scaleb(-4).normalize(), "f")


def _working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The working days from ``first`` to ``last``, both included, in order."""
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if is_working_day(day)]


class _Batch:
    """The rows of one batch, grouped by (department, kind) file."""

    def __init__(
        self,
        seed: int,
        week: dt.date,
        published: Sequence[Decision],
        pool_size: int,
        since: dt.date | None = None,
    ) -> None:
        self.rng = random.Random(f"{seed}/{week.isoformat()}")
        self.week = week
        self.rules: Rules = load_rules()
        self.taken = {entry.id for entry in published}
        # A week's numbers start with 10-99, so they never repeat those of the weeks around it.
        self.block = str(10 + (week.toordinal() // 7) % 90)
        self.counters: dict[tuple[str, Kind], int] = {}
        self.rows: dict[_FileKey, list[dict[str, str]]] = {}
        self.cases: dict[_FileKey, list[dict[str, object]]] = {}
        self.stories: list[tuple[_Department, _Subject, dict[str, str]]] = []
        organisations, self.people = _pool(pool_size)
        self.index: dict[tuple[str, str], list[_Subject]] = {}
        for subject in organisations:
            letter = "B" if subject.category == "个体工商户" else "L"
            for group in (subject.group, "*"):
                self.index.setdefault((group, letter), []).append(subject)
        days = [week - dt.timedelta(days=n) for n in range(31)]
        work = [(day, working_days_between(day, week)) for day in days if is_working_day(day)] or [(week, 0)]
        self.on_time = [day for day, n in work if n <= 7]
        self.late = [day for day, n in work if 7 < n <= 15] or self.on_time
        self.recent = next((day for day in self.on_time if day < week), week)
        self.backlog = _working_days(add_months(week, -13), add_months(week, -3))
        self.archive = _working_days(since, week) if since else []

    def generate(self, records: int) -> None:
        """Mix: cases 2-3 a week, then licensing 45 : penalty 40 : red 5 : black 5."""
        cases = 0 if records < 20 else 1 if records < 60 else self.rng.choice((2, 3))
        rest = records - cases
        red, black, penalty = round(rest * 5 / 95), round(rest * 5 / 95), round(rest * 40 / 95)
        for _ in range(rest - red - black - penalty):
            self.licensing()
        for _ in range(penalty):
            self.penalty()
        for kind, count in ((Kind.REDLIST, red), (Kind.BLACKLIST, black)):
            lists = [item for item in _LISTS if (item[0] in _REDLISTS) == (kind is Kind.REDLIST)]
            for item in self.rng.choices(lists, weights=[item[5] for item in lists], k=count):
                self.list_entry(kind, item)
        for _ in range(cases):
            self.case()

    def decided(self, backlog: bool = True, not_before: dt.date | None = None) -> dt.date:
        """~85% within 7 working days, ~10% late, ~5% a backlog of 3 to 13 months.

        An archive: any of its days, from ``not_before`` on for a row whose term would otherwise
        have ended by the week (it would not be published, and an archive is what is published).
        """
        if self.archive:
            start = bisect.bisect_left(self.archive, not_before) if not_before else 0
            return self.rng.choice(self.archive[start:] or self.archive[-1:])
        roll = self.rng.random()
        if backlog and roll < 0.05:
            return self.rng.choice(self.backlog)
        return self.rng.choice(self.late if roll < 0.15 else self.on_time)

    def number(self, dept: _Department, kind: Kind, template: str, year: int) -> tuple[str, str]:
        """A document number not yet used this batch nor published: (number, its sequence)."""
        while True:
            count = self.counters[dept.key, kind] = self.counters.get((dept.key, kind), 0) + 1
            sequence = f"{self.block}{count:03d}"
            number = template.format(p=dept.prefix, y=year, n=sequence)
            if not self.taken or entry_id(kind, dept.code, number) not in self.taken:
                return number, sequence

    def subject(self, dept: _Department, kinds: str, groups: str = "") -> _Subject:
        """A subject of one of ``groups`` (industries; "*" is any, "" the department's)."""
        letter = self.rng.choice(kinds)
        if letter == "P":
            return self.rng.choice(self.people)
        group = self.rng.choice(groups.split() or dept.groups)
        return self.rng.choice(self.index.get((group, letter)) or self.index[("*", letter)])

    def subject_cells(self, subject: _Subject, listed: bool = False) -> dict[str, str]:
        cells = {"subject_name": subject.name, "subject_category": subject.category}
        if not subject.code:
            cells.update(id_type=self.rng.choice(("身份证", "居民身份证")), id_number=subject.person_id)
        elif listed:
            cells["subject_uscc"] = subject.code
        else:
            cells.update(subject_uscc=subject.code, legal_representative=subject.person)
            if self.rng.random() < 0.7:
                cells.update(
                    legal_representative_id_type="身份证", legal_representative_id_number=subject.person_id
                )
        return cells

    def add(self, dept: _Department, kind: Kind, cells: dict[str, str]) -> None:
        self.rows.setdefault((dept.name, dept.code, kind), []).append(cells)

    def licensing(self) -> None:
        dept_key, title, certificate, category, prefix, abbr, content, term, kinds, groups = self.rng.choice(
            _LICENCES
        )
        dept, rng = _DEPTS[dept_key], self.rng
        subject = self.subject(dept, kinds, groups)
        decided = self.decided()
        if term == 0:
            until = self.rules.licensing_open_ended
        elif term < 0 and self.archive:  # a few weeks from its decision: most had ended by the week
            until = decided + dt.timedelta(days=rng.randint(3, -term))
            if until <= self.week:  # not published, so not in the archive: another licence
                self.licensing()
                return
        elif term < 0:  # short permits: the `due` command's material
            until = self.week + dt.timedelta(days=rng.randint(3, -term))
        else:
            until = term_end(decided, term)
        number, sequence = self.number(dept, Kind.LICENSING, "{p}" + abbr + "许〔{y}〕{n}号", decided.year)
        cells = self.subject_cells(subject)
        day = dept.date_style.format
        cells.update(
            decision_title=title,
            document_number=number,
            license_category=category,
            content=content,
            decided=day(decided),
            valid_from=day(decided),
            valid_until=day(until),
            status="有效",
            **dept.cells,
        )
        if certificate:
            cells.update(
                certificate_name=certificate,
                license_number=f"{prefix}{subject.code[2:8] or '350100'}{sequence}",
            )
        self.add(dept, Kind.LICENSING, cells)

    def penalty(self) -> None:
        dept_key, violation, facts, basis, types, heavy, low, high, kinds, groups = self.rng.choice(
            _VIOLATIONS
        )
        dept, rng = _DEPTS[dept_key], self.rng
        subject = self.subject(dept, kinds, groups)
        decided = self.decided()
        serious = heavy is not None and rng.random() < 0.2
        chosen = [*types, heavy[0]] if heavy is not None and serious else list(types)
        fine = rng.randrange(low, high + 1, 100 if high <= 10000 else 1000)
        gain = rng.randrange(200, 20000, 10)
        parts = {"警告": "警告", "罚款": f"罚款人民币{fine}元", "没收违法所得": f"没收违法所得人民币{gain}元"}
        if heavy is not None:
            parts[heavy[0]] = heavy[1]
        month = decided - dt.timedelta(days=rng.randint(20, 90))
        number, sequence = self.number(dept, Kind.PENALTY, "{p}处罚〔{y}〕{n}号", decided.year)
        text = facts.format(
            month=f"{month.year}年{month.month}月",
            district=_DISTRICTS.get(subject.code[2:8]) or rng.choice(_FUZHOU)[1],
            n=rng.randint(2, 12),
            value=rng.randrange(300, 50000, 10),
            plate=f"{rng.choice('ABCDEFGHJK')}{rng.randrange(10000):04d}",
        )
        # From 2026-04-01 the tier decides the term; a backlog 一般 decision may have expired: make it 严重.
        new_rules = decided >= self.rules.penalty_periods[-1].decided_from
        for severity in (("严重" if serious else "一般"), "严重") if new_rules else ("",):
            publicity = penalty_publicity(
                self.rules,
                decided=decided,
                penalty_types=chosen,
                severity=severity or None,
                fine_wan=Decimal(_wan(fine)),
                sector_text=f"{violation} {basis}",
                publicity_until=None,
            )
            if isinstance(publicity, Publicity) and publicity.until and publicity.until >= self.week:
                break
        assert isinstance(publicity, Publicity) and publicity.until is not None
        day = dept.date_style.format
        cells = self.subject_cells(subject)
        cells.update(
            document_number=number,
            violation_type=violation,
            facts=text,
            basis=basis,
            penalty_types="；".join(chosen),
            content="，".join(parts[t] for t in chosen),
            fine=_wan(fine),
            decided=day(decided),
            penalty_valid_until=day(publicity.until),
            **dept.cells,
        )
        if "没收违法所得" in chosen:
            cells["confiscated"] = _wan(gain)
        if severity:
            cells["severity"] = severity
        if heavy is not None and serious and heavy[2]:
            cells["license_affected"] = f"{heavy[2]}（编号：XK{subject.code[2:8] or '350100'}{sequence}）"
        self.add(dept, Kind.PENALTY, cells)
        if subject.code and len(self.stories) < 100:
            self.stories.append((dept, subject, cells))

    def list_entry(self, kind: Kind, item: tuple[str, str, str, str, str, int, str]) -> None:
        list_name, dept_key, abbr, reason, basis, _, kinds = item
        dept, rng = _DEPTS[dept_key], self.rng
        subject = self.subject(dept, kinds)
        term = self.rules.lists[list_name].term_months
        # (a term ends the day before its months are up: on the week itself, it has ended)
        not_before = add_months(self.week, -term) + dt.timedelta(days=1) if term else None
        decided = self.decided(backlog=False, not_before=not_before)
        day = dept.date_style.format
        cells = self.subject_cells(subject, listed=True)
        if dept_key == "fy":
            number, sequence = self.number(dept, kind, "（{y}）{p}{n}号", decided.year)
            cells.update(
                court=dept.name,
                case_number=number,
                enforcement_basis=f"（{decided.year - 1}）闽0{rng.randint(102, 105)}民初{sequence}号民事判决书",
                obligation=f"被执行人应向申请执行人支付货款人民币{rng.randrange(5000, 900000, 100)}元及利息",
                performance="全部未履行",
            )
        else:
            number, _ = self.number(dept, kind, "{p}" + abbr + "〔{y}〕{n}号", decided.year)
        if term and rng.random() < 0.5:
            cells["valid_until"] = day(term_end(decided, term))
        cells.update(
            list_name=list_name,
            document_number=number,
            reason=reason.format(
                year=decided.year - 1, n=rng.randint(5, 90), value=rng.randrange(10**5, 10**7)
            ),
            basis=basis,
            decided=day(decided),
            authority=dept.name,
            authority_uscc=dept.code,
        )
        self.add(dept, kind, cells)

    def case(self) -> None:
        """A typical case retelling one of this week's penalties (or a good-faith story)."""
        office, rng = _DEPTS["fgw"], self.rng
        published = rng.choice(self.on_time[:3])
        number, _ = self.number(office, Kind.CASE, "{p}案例〔{y}〕{n}号", published.year)
        if self.stories and rng.random() < 0.8:
            dept, subject, row = rng.choice(self.stories)
            title, category = f"{subject.name}{row['violation_type']}案", dept.category
            summary = f"{dept.name}依法查处{subject.name}{row['violation_type']}案，{row['content']}。"
            body = (
                f"## 基本案情\n\n{row['facts']}\n\n## 处理结果\n\n{dept.name}依据{row['basis']}，"
                f"对当事人作出{row['content']}的行政处罚，并依法公示。\n\n## 典型意义\n\n{rng.choice(_LESSONS)}\n"
            )
        else:
            subject = rng.choice(self.index[("*", "L")])
            title, category = f"{subject.name}诚信经营典型案例", "守信激励"
            summary = f"{subject.name}坚持诚信经营，连续多年纳税信用评价为A级。"
            body = (
                f"## 基本情况\n\n{subject.name}坚持依法诚信经营，合同履约率高，无不良信用记录。\n\n"
                "## 激励措施\n\n- 办理行政审批事项享受“绿色通道”\n- 在评优评先中优先考虑\n"
            )
        item: dict[str, object] = {
            "标题": title,
            "案例编号": number,
            "发布日期": published.isoformat(),
            "发布部门": office.name,
            "发布部门统一社会信用代码": office.code,
            "案例类别": category,
            "摘要": summary,
            "正文": body,
            "涉及主体": [{"名称": subject.name, "统一社会信用代码": subject.code}],
        }
        self.cases.setdefault((office.name, office.code, Kind.CASE), []).append(item)

    def follow_ups(self, rng: random.Random, published: Sequence[Decision], records: int) -> None:
        """Amendments, credit repairs and withdrawals, chosen from ``published`` by id.

        About 3% of what is published each, but never more than 5% of the week's new rows each:
        a city's weekly batch is mostly new decisions, and follow-ups stay a small part of it.
        """
        entries = sorted((e for e in published if _number_of(e) is not None), key=lambda e: e.id)
        share = max(1, min(round(len(entries) * 0.03), records // 20)) if entries else 0
        used: set[str] = set()

        def pick(candidates: list[Decision]) -> list[Decision]:
            free = [e for e in candidates if e.id not in used]
            chosen = sorted(rng.sample(free, min(share, len(free))), key=lambda e: e.id)
            used.update(e.id for e in chosen)
            return chosen

        week = self.week
        repairs = pick(
            [
                e
                for e in entries
                if e.kind in (Kind.PENALTY, Kind.BLACKLIST)
                and e.publicity.repairable_from is not None
                and e.publicity.repairable_from <= week
            ]
        )
        amends = pick(
            [e for e in entries if e.subject.type is not SubjectType.PERSON and e.kind is not Kind.CASE]
        )
        for entry in repairs:
            assert entry.publicity.repairable_from is not None
            performed = entry.fields.get("list_name") == "失信被执行人"
            basis = (
                "被执行人已履行生效法律文书确定的全部义务"
                if performed
                else f"榕信修〔{week.year}〕{rng.randint(1, 999)}号信用修复决定书"
            )
            day = max(entry.publicity.repairable_from, self.recent)
            self.removal(
                entry, "信用修复", day, REPAIR_REASONS["performed" if performed else "repaired"], basis
            )
        for entry in pick(entries):
            reason = rng.choice(sorted(WITHDRAW_REASONS))
            basis = _WITHDRAW_BASES[reason].format(y=week.year, n=rng.randint(1, 999))
            self.removal(entry, "撤销", max(entry.decided, self.recent), WITHDRAW_REASONS[reason], basis)
        for entry in amends:
            self.amend(rng, entry)

    def removal(self, entry: Decision, operation: str, day: dt.date, reason: str, basis: str) -> None:
        number = _number_of(entry)
        assert number is not None
        key = (entry.department.name, entry.department.code, entry.kind)
        cells = {
            "operation": operation,
            "operation_date": day.isoformat(),
            "operation_reason": reason,
            "operation_basis": basis,
            "authority": entry.department.name,
            "authority_uscc": entry.department.code,
        }
        if entry.kind is Kind.CASE:
            labels = {c.id: c.label for c in (*CASE_COLUMNS, *OPERATION_COLUMNS)}
            item: dict[str, object] = {labels[k]: v for k, v in {"case_number": number, **cells}.items()}
            self.cases.setdefault(key, []).append(item)
            return
        cells["document_number"] = number
        if isinstance(entry.fields.get("list_name"), str):
            cells["list_name"] = str(entry.fields["list_name"])
        self.rows.setdefault(key, []).append(cells)

    def amend(self, rng: random.Random, entry: Decision) -> None:
        """A new full version: a changed representative, a cancelled licence, a reduced fine, a correction."""
        cells: dict[str, str] = {}
        for column in _TABLE_COLUMNS[entry.kind]:
            value = entry.fields.get(column.id)
            # Identity numbers come back masked: a new version leaves them out rather than send a mask.
            if value is None or column.type is CellType.ID_NUMBER or column.id.endswith("id_type"):
                continue
            cells[column.id] = "；".join(map(str, value)) if isinstance(value, list) else str(value)
        reason = "数据错误更正"
        if entry.kind is Kind.LICENSING and rng.random() < 0.3:
            cells.update(status="无效", remarks="被许可人申请注销")
        elif entry.kind is Kind.LICENSING:
            cells.update(legal_representative=_person(rng)[0], remarks="法定代表人变更")
        elif entry.kind is Kind.PENALTY and "fine" in cells:
            old, fine = int(Decimal(cells["fine"]) * 10000), int(Decimal(cells["fine"]) * 8000)  # yuan
            content = cells.get("content", "").replace(f"罚款人民币{old}元", f"罚款人民币{fine}元")
            cells.update(fine=_wan(fine), content=content, remarks=f"经行政复议，罚款变更为人民币{fine}元")
            reason = "决定被变更"
        else:
            cells["remarks"] = "更正原公示信息中的文字错误"
        cells.update(
            operation="变更",
            operation_date=max(entry.decided, self.recent).isoformat(),
            operation_reason=reason,
            operation_basis=cells["remarks"],
        )
        self.rows.setdefault((entry.department.name, entry.department.code, entry.kind), []).append(cells)

    def write(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        encodings = {(d.name, d.code): d.encoding for d in _DEPTS.values()}
        # One file a batch comes as XLSX: the smallest, so that large batches stay fast.
        xlsx = min(self.rows, key=lambda k: (len(self.rows[k]), k), default=None)
        stamp = dt.datetime(self.week.year, self.week.month, self.week.day, 1, 30)
        paths = []
        for key, rows in self.rows.items():
            name, code, kind = key
            used = {column_id for row in rows for column_id in row}
            table = _TABLE_COLUMNS[kind]
            columns = [
                c
                for c in (*table, *OPERATION_COLUMNS)
                if c.id in used or (c in table and c.id not in _COURT_ONLY)
            ]
            stem = out_dir / f"{_file_name(name, code)}_{kind.label}_{self.week:%Y%m%d}"
            if key == xlsx:
                paths.append(_write_xlsx(stem.with_suffix(".xlsx"), name, kind.label, columns, rows, stamp))
            else:
                paths.append(
                    _write_csv(
                        stem.with_suffix(".csv"), columns, rows, encodings.get((name, code), "utf-8-sig")
                    )
                )
        for (name, code, kind), items in self.cases.items():
            path = out_dir / f"{_file_name(name, code)}_{kind.label}_{self.week:%Y%m%d}.yaml"
            path.write_bytes(
                yaml.dump(items, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100).encode()
            )
            paths.append(path)
        return sorted(paths)


def _file_name(name: str, code: str) -> str:
    """The department's name; a department met only in ``published`` also gets its code, to stay apart."""
    known = any((d.name, d.code) == (name, code) for d in _DEPTS.values())
    safe = "".join(ch if ch.isalnum() or ch in "（）()-" else "_" for ch in name)
    return safe if known else f"{safe}_{code}"


def _number_of(entry: Decision) -> str | None:
    """The number that identifies ``entry`` in a follow-up row, if it really does."""
    number = entry.fields.get("case_number" if entry.kind is Kind.CASE else "document_number")
    if isinstance(number, str) and entry_id(entry.kind, entry.department.code, number) == entry.id:
        return number
    return None


def _write_csv(path: Path, columns: list[Column], rows: list[dict[str, str]], encoding: str) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    writer.writerows([row.get(c.id, "") for c in columns] for row in rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _write_xlsx(
    path: Path, author: str, title: str, columns: list[Column], rows: list[dict[str, str]], stamp: dt.datetime
) -> Path:
    """Excel as departments save it (real dates and numbers), with fixed timestamps for identical bytes."""
    import openpyxl
    from openpyxl.xml.functions import tostring

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append([c.label for c in columns])
    for row in rows:
        sheet.append([_xlsx_value(c, row.get(c.id, "")) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps docProps/core.xml and every zip member with the current time: replace both.
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = author
    core = tostring(workbook.properties.to_tree())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type, member.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            target.writestr(member, core if info.filename == "docProps/core.xml" else source.read(info))
    return path


def _xlsx_value(column: Column, text: str) -> object:
    if not text:
        return None
    if column.type is CellType.DATE:
        day = parse_date(text)
        return dt.datetime(day.year, day.month, day.day)
    if column.type is CellType.AMOUNT:
        return float(text)
    return text


class _Dumper(yaml.SafeDumper):
    """Multi-line text (a case's Markdown body) as a literal block, as a person would write it."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _represent_text)
