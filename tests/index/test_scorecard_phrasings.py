"""The Excel import reads 评分标准 as county offices write them.

A corpus of real phrasings from published 考核评分表 / 考核细则 (each with the address of the
page it was read from, punctuation as published), with the rule each must give — or None where
the text must stay a TODO (judgment, several criteria in one cell, a strict bound, a count
with no stated unit): never guessed. Phrasings marked CONSTRUCTED were written for this test
(most after the county sheet quoted in issue 21). Then a sheet in office layout round-trips:
import → export → import gives the same rules."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from commeval.index import parse_framework
from commeval.index.scorecard import parse_rule
from commeval.index.scorecard_excel import (
    export_scorecard,
    import_scorecard,
    parse_rule_text,
    rule_text,
)

QUZHOU = "http://www.holdmm.net/html/text/lar/173362/17336259_2.html"  # 衢州 村镇规划考核
TOWN = "http://www.fsou.net/html/text/lar/169725/16972546_5.html"  # 城镇建设考核评分标准
XIDIAN = "https://m.yzwku.com/doc/72389.html"  # 西店镇行政村环境卫生和垃圾分类考核评分表
LONGMEN = "http://m.fqjz1.com/gongkai/show/20181009084800-248252-00-000.html"  # 龙门镇新村管理
COMMUNITY = "https://www.renrendoc.com/p-57456291.html"  # 社区考核标准
YUNNAN = "https://max.book118.com/html/2019/0627/6224231044002042.shtm"  # 云南贫困村退出考核评分表
TOWNS = "https://is0817.com/thread-83869-1-1.html"  # 城镇建设考核要点
GUANGZHOU = "https://m.jinchutou.com/shtml/view-508996064.html"  # 广州市文明社区测评体系
PILOT = "https://360docs.net/doc/ce13026582.html"  # 农村综合改革标准化试点项目目标考核表
HOACHINA = "http://m.hoachina.com/1w/164/326313.htm"  # 社区居委会班子工作目标考核细则
VILLAGE = "http://fsou.com/html/text/lar/174078/17407822_1.html"  # 村民自治考评内容
SUPERVISION = "https://m.bdocx.com/doc/13196592.html"  # 村务监督委员会绩效考核评分表
FINANCE = "https://meizhang.com/yijian/guanligongzuoyijian/645708.html"  # 村级经营管理考核意见
SHANZHI = "https://001doc.com/doc/881092.html"  # 浙江省善治村申报评定表
BAOJI = "https://max.book118.com/html/2020/0630/6024223221002213.shtm"  # 宝鸡新农村测评体系
CONSTRUCTED = "CONSTRUCTED"


def units(**kw):
    return {"rule": "units", **kw}


COST, BENEFIT = "cost", "benefit"
# (source, 评分标准 as published, 分值, 单位, expected rule (without points) and direction or None)
CORPUS = [
    (QUZHOU, "完成得基本分;大于目标值的,每增加1%加1分,最高加2分;小于目标值的,每少1%扣1分,"
     "扣分至基本分值扣完为止。", 5, "%", (units(deduct=1, add=1, max_add=2), BENEFIT)),
    (QUZHOU, "完成得基本分;大于目标值的,每增加1%加0.5分,加分至基本分值为止;小于目标值的,"
     "每少1%扣1分,扣分至基本分值扣完为止。", 5, "%", (units(deduct=1, add=0.5, max_add=5), BENEFIT)),
    (QUZHOU, "完成得基本分,大于目标值的,每增加5%加1分;小于目标值的,每少1%扣1分,"
     "扣分至基本分值扣完为止。", 5, "%", None),  # two different steps (5 % and 1 %)
    (QUZHOU, "完成得基本分,大于目标值的,每增加10万元加0.5分, 加分至基本分值封顶;少于目标值的,"
     "每少10万元扣1分,扣分至基本分值扣完为止。", 5, "万元",
     (units(per=10, deduct=1, add=0.5, max_add=5), BENEFIT)),
    (QUZHOU, "完成得基本分,未完成的不得分。", 10, "", ({"rule": "yesno"}, BENEFIT)),
    (QUZHOU, "完成得基本分,超额完成的,每增加1公顷加2分,加分至基本分值封顶;未完成的,"
     "每少完成目标值10%扣1分,扣分至基本分值扣完为止。", 10, "公顷", None),  # 公顷 vs 10 %
    (TOWN, "有环卫管理机构和清扫保洁队伍,得10分;镇区主街道实行14小时以上保洁,得10分,"
     "按实际情况评分", 20, "", None),
    (TOWN, "有1座以上垃圾中转站,得10分;有1座以上压缩式垃圾中转站,得10分,没有中转站不得分",
     20, "", None),
    (TOWN, "路面整洁卫生,无暴露垃圾、污水,得10分;发现一处扣2分,扣完为止", 10, "",
     (units(deduct=2), COST)),
    (TOWN, "中心镇镇区公共厕所按1座/2500人建设,其它镇镇区按1座/3000人建设,得10分;"
     "未按标准建设不得分;建成1座生态公厕,得10分;每增加一座加5分", 20, "", None),
    (XIDIAN, "主要道路、背街小巷路面及两侧有明显垃圾或杂物堆积,每发现1处扣0.5分。", 4, "",
     (units(deduct=0.5), COST)),
    (XIDIAN, "绿化带、公园内有白色垃圾、成堆垃圾或杂物堆放圈占现象,每发现1处扣0.5分。", 3, "",
     (units(deduct=0.5), COST)),
    (XIDIAN, "公共投放区有垃圾桶脏乱破、满溢,垃圾落地。每发现1处扣0.5分。", 3, "",
     (units(deduct=0.5), COST)),
    (XIDIAN, "露天粪缸、简易棚厕,每发现1处扣3分。", 3, "", (units(deduct=3), COST)),
    (XIDIAN, "河塘、溪流、湖面、水库、排水沟渠等有明显漂浮物、垃圾的,每发现1处扣0.5分。", 4, "",
     (units(deduct=0.5), COST)),
    (XIDIAN, "各村设立环卫保洁人员,落实岗位职贲和报酬,未落实的不得分", 2, "",
     ({"rule": "yesno"}, BENEFIT)),
    (XIDIAN, "村内未设立有害垃圾、可回收物投放点,每处扣1分。", 3, "", (units(deduct=1), COST)),
    (LONGMEN, "存在私搭乱建行为的,每处扣5分,扣完为止。", 25, "", (units(deduct=5), COST)),
    (LONGMEN, "每季度召开住户(住户代表)议事会议,每少开展一次活动的扣5分。", 10, "",
     (units(deduct=5), COST)),  # the value: meetings missed
    (LONGMEN, "未开展矛盾化解工作,每次扣0.5分;未开展安全工作每次扣0.5分;发生安全责任事故,"
     "全部扣完。", 10, "", None),
    (LONGMEN, "随机抽查聚居点群众,满意度在90分以上满分,90分以下扣1分;80分以下扣5分", 10, "",
     None),
    (COMMUNITY, "延期换届的扣1分;资料不全、不规范扣0.5分;分工不明确、工作开展不正常扣1分。",
     3, "", None),
    (COMMUNITY, "无办公场所不得分;无标识扣0.5分;设施不全扣1分。", 2, "", None),
    (COMMUNITY, "制度(职责)未上墙,每少一个扣0.5分;板夹资料不齐全扣0.5分。", 2, "", None),
    (COMMUNITY, "每有一项不达标扣0.5分。", 2, "", (units(deduct=0.5), COST)),
    (COMMUNITY, "未实现集中供暖扣2分。", 3, "", None),
    (COMMUNITY, "无自治章程、社区公约或有但未经社区村民会议讨论通过均不得分", 1, "", None),
    (YUNNAN, "贫困发生率小于3%得20分,大于等于3%得0分。", 20, "%", None),  # strict bound
    (TOWNS, "提升镇区对外交通联系,镇区车行15分钟内可到达高速公路出入口、高铁或动车站等重要"
     "交通枢纽或节点得0.5分,15—30分钟到达得0.3分,30分钟以上不得分;镇区内部交通组织合理得"
     "0.5分;镇区人均道路面积达15平方米得0.5分", 1.5, "", None),
    (TOWNS, "镇区给水、排水、燃气、电力等市政管线设施总体建设完善,视情况酌情给分,最高1分;"
     "自来水普及率达95%以上,得0.5分;镇区生活污水处理率达70%或考核年较上年度增长10%得0.5分;"
     "实施雨污分流改造得0.5分", 2.5, "", None),
    (TOWNS, "自来水普及率达95%以上,得0.5分", 0.5, "%",
     ({"rule": "tiers", "tiers": [[95, 0.5]]}, BENEFIT)),  # one clause of the cell above
    (TOWNS, "防洪排涝设施建设完善得0.3分;应急避难场所人均面积达1.5平方米得0. 5分;"
     "建立消防机制及消防队伍得0.2分", 1, "", None),
    (TOWNS, "建有具备客运功能且整合电商、邮政快递等资源或工业仓储、配送等农村物流公共服务的"
     "乡镇运输服务站得0.5分;面积1000平方米以上且正常运营得0.5分", 1, "", None),
    (GUANGZHOU, "符合上述3项标准为3分;符合2项标准为2分;符合1项标准为1分;3项标准均不符合为0分。",
     3, "", None),
    (PILOT, "1.机构成立、运行的制度文件齐全,2分;2.机构分工有序、人员职责明确, 2分。", 4, "",
     None),
    (HOACHINA, "年底前完成该项指标得基础分,未完成工作目标不得分。", 5, "",
     ({"rule": "yesno"}, BENEFIT)),
    (VILLAGE, "村民委员会坚持例会制度、学习制度、奖惩制度、廉洁制度、财务管理制度、民主理财"
     "制度等各项工作。(1个0.5分,共3分)", 3, "", None),
    (SUPERVISION, "做到有牌子、有印章、有场所、有制度、有保障、有台帐,没有达到“六有”标准的,"
     "每项扣1分。", 3, "", (units(deduct=1), COST)),
    (SUPERVISION, "每月定期以月报表的形式向镇纪委、镇行政服务中心和村党组织报告工作(6分),"
     "每少一次扣0.5分。", 6, "", (units(deduct=0.5), COST)),
    (SUPERVISION, "每次村务监督台帐均规范及时记录(5分),未规范及时记录的每次扣0.5分。", 5, "",
     (units(deduct=0.5), COST)),
    (FINANCE, "见一个组未交乡代管扣1分,扣完为止。", 10, "", None),
    (FINANCE, "账簿设置2分,未按“四代管”中心规定设立账簿、台账,每缺一项扣1分。", 2, "", None),
    (FINANCE, "合同签定率达100%、代管率达100%、兑现率达100%,达不到标准不计分。", 10, "", None),
    (SHANZHI, "社区党组织班子不团结,核心作用不明显不得分;工作制度不健全的扣2分。", 4, "", None),
    (SHANZHI, "未制定计划扣1分;未落实专人负责扣2分。", 2, "", None),
    (SHANZHI, "未履职,或未经审核纳入事项的,每发现1项扣0.5分。", 3, "", (units(deduct=0.5), COST)),
    (SHANZHI, "每发现1项未落实扣1分。", 2, "", (units(deduct=1), COST)),
    (BAOJI, "4×实达标数", 60, "%", None),
    # CONSTRUCTED: after the county sheet of issue 21 and the families it lists
    (CONSTRUCTED, "结对帮扶村比例达到100%得满分，每低1个百分点扣0.1分", 4, "%",
     ({"rule": "deduct", "from": 100, "per": 1, "deduct": 0.1}, BENEFIT)),
    (CONSTRUCTED, "覆盖率100%得满分，每降低1个百分点扣0.5分", 5, "%",
     ({"rule": "deduct", "from": 100, "per": 1, "deduct": 0.5}, BENEFIT)),
    (CONSTRUCTED, "达到100%的得满分；每减少1个百分点扣0.2分", 4, "%",
     ({"rule": "deduct", "from": 100, "per": 1, "deduct": 0.2}, BENEFIT)),
    (CONSTRUCTED, "成立领导小组并明确分工的得4分，未成立的不得分", 4, "",
     ({"rule": "yesno"}, BENEFIT)),
    (CONSTRUCTED, "有村级服务中心的得5分，没有的不得分", 5, "", ({"rule": "yesno"}, BENEFIT)),
    (CONSTRUCTED, "入住率达到80%加2分", 2, "%", ({"rule": "tiers", "tiers": [[80, 2]]}, BENEFIT)),
    (CONSTRUCTED, "每个加1分，最多加3分", 3, "个", (units(add=1, max_add=3), BENEFIT)),
    (CONSTRUCTED, "每少配备一名扣1分，扣完为止", 5, "名", (units(deduct=1), COST)),
    (CONSTRUCTED, "每户扣1分", 10, "户", (units(deduct=1), COST)),
    (CONSTRUCTED, "每少1个扣5分，每增1个加2分，累计加分不超过20分", 30, "个",
     (units(deduct=5, add=2, max_add=20), BENEFIT)),
    (CONSTRUCTED, "按完成比例计分", 10, "%",
     ({"rule": "linear", "full_at": 100, "zero_at": 0}, BENEFIT)),
    (CONSTRUCTED, "90%以上得10分，80%—90%得8分，60%至80%得5分，60%以下不得分", 10, "%",
     ({"rule": "tiers", "tiers": [[90, 10], [80, 8], [60, 5]]}, BENEFIT)),
    (CONSTRUCTED, "视情况酌情给分", 5, "", None),
]  # fmt: skip


def test_corpus_has_forty_published_phrasings():
    real = [c for c in CORPUS if c[0] != CONSTRUCTED]
    assert len(real) >= 40
    assert sum(c[4] is not None for c in real) >= 20  # and half of them parse


@pytest.mark.parametrize(("source", "text", "points", "unit", "expected"), CORPUS,
                         ids=[f"{i:02d}" for i in range(len(CORPUS))])  # fmt: skip
def test_phrasing_gives_its_rule_or_stays_todo(source, text, points, unit, expected):
    got = parse_rule_text(text, points, unit)
    if expected is None:
        assert got is None, (source, text, got)
        return
    spec, direction = expected
    assert got == ({"points": points, **spec}, direction), (source, text)
    rule = parse_rule("t", "scoring", got[0])  # a valid rule …
    back = parse_rule_text(rule_text(rule, unit, direction == COST), points, unit)
    assert back == got  # … whose canonical wording reads back the same


def office_sheet(path):
    """A county 评分表 in office layout: 说明 row with the grade note and the base score, rules in
    the corpus's phrasings (a real one per family where there is one), a judgment row (TODO)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["某县农村社区建设考核评分表"])
    ws.append(
        ["说明：以100分为基础分，按本表扣分、加分。版本：2024.1；等级：优秀≥90，良好≥80，合格≥60"]
    )
    ws.append(["一级指标", "考核内容", "分值", "评分标准", "考核方式"])
    rows = [
        ("一、组织领导（20分）", "结对帮扶村比例", 4, CORPUS[48][1]),
        (None, "领导小组", 4, "成立领导小组并明确分工的得4分，未成立的不得分"),
        (None, "保洁制度", 2, "各村设立环卫保洁人员,落实岗位职贲和报酬,未落实的不得分"),
        (None, "工作机制", 10, "视情况酌情给分"),
        ("二、村容村貌（40分）", "私搭乱建", 25, "存在私搭乱建行为的,每处扣5分,扣完为止。"),
        (
            None,
            "道路垃圾",
            4,
            "主要道路、背街小巷路面及两侧有明显垃圾或杂物堆积,每发现1处扣0.5分。",
        ),
        (None, "自来水普及率", 1, "自来水普及率达95%以上,得1分"),
        (
            None,
            "服务中心面积达标率",
            10,
            "90%以上得10分，80%—90%得8分，60%至80%得5分，60%以下不得分",
        ),
        ("三、建设任务（40分）", "投入资金", 5, CORPUS[3][1]),
        (None, "社工配备", 5, "每少配备一名扣1分，扣完为止"),
        (None, "项目完成率", 30, "按完成比例计分"),
        ("加分项（累计加分不超过4分）", "入住率", "+2", "入住率达到80%加2分"),
        (None, "示范点", "+3", "每个加1分，最多加3分"),
    ]
    for r in rows:
        ws.append(list(r) + ["实地查看"])
    ws.append(["合计", None, 100])
    wb.save(path)


def test_office_sheet_imports_and_round_trips(tmp_path):
    office_sheet(tmp_path / "评分表.xlsx")
    res = import_scorecard(tmp_path / "评分表.xlsx")
    doc = res.doc
    assert doc["base_score"] == 100 and doc["version"] == "2024.1"
    assert doc["bonus_cap"] == 4  # from the 加分项 heading
    assert doc["grades"] == {"优秀": 90, "良好": 80, "合格": 60, "不合格": 0}
    items = {s["label"]: s for d in doc["dimensions"].values() for s in d["indicators"].values()}
    assert items["私搭乱建"]["scoring"] == {"points": 25, "rule": "units", "deduct": 5}
    assert items["私搭乱建"]["direction"] == "cost"
    assert items["投入资金"]["scoring"]["per"] == 10 and items["社工配备"]["direction"] == "cost"
    assert items["示范点"]["bonus"] and items["示范点"]["scoring"]["rule"] == "units"
    assert items["入住率"]["scoring"] == {"points": 2, "rule": "tiers", "tiers": [[80, 2]]}
    # the judgment row stays a TODO with its Excel row; nothing else does (but the formulas)
    rule_todos = [(r, m) for r, m in res.todos if "评分标准未能解析" in m]
    assert rule_todos == [(7, "“工作机制”的评分标准未能解析，请写出 rule：“视情况酌情给分”")]
    assert items["工作机制"]["scoring"] == {"points": 10}
    # write the missing rule and formulas as a user would, then round trip
    items["工作机制"]["scoring"] = {"points": 10, "rule": "yesno"}
    for i, s in enumerate(items.values()):
        s["source"] = f"count(has_library) + {i}"
    parse_framework(doc)  # it loads
    out = export_scorecard(doc, tmp_path / "导出.xlsx")
    again = import_scorecard(out)
    assert again.todos == [] and again.notes == []

    def rules(d: dict) -> dict:
        return {
            k: (dk, s["label"], s["scoring"], s.get("direction", "benefit"), bool(s.get("bonus")),
                s.get("unit"), s["source"], s.get("assessment"))
            for dk, dd in d["dimensions"].items()
            for k, s in dd["indicators"].items()
        }  # fmt: skip

    assert rules(again.doc) == rules(doc)
    top = ("version", "name", "scoring", "base_score", "grades", "bonus_cap", "veto")
    assert {k: again.doc.get(k) for k in top} == {k: doc.get(k) for k in top}
    # the printed 评分标准 is the office's wording wherever it reads back to the rule computed
    std = {s["label"]: s["standard"] for d in again.doc["dimensions"].values()
           for s in d["indicators"].values()}  # fmt: skip
    assert std["私搭乱建"] == "存在私搭乱建行为的,每处扣5分,扣完为止。"
    assert std["工作机制"] == "有得10分，无不得分"  # the rule written in place of 酌情给分
    twice = import_scorecard(export_scorecard(again.doc, tmp_path / "再导出.xlsx"))
    assert twice.doc == again.doc  # import → export → import is a fixed point
