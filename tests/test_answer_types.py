"""The answer-type check: what a question asks for, and whether a sentence can supply it."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.ranking.answer_types import (
    answer_span,
    question_places,
    question_types,
    question_unit,
    sentence_types,
    type_match,
)
from retrieval.ranking.search import Candidates, Hit, confidence
from retrieval.ranking.tuning import Tuning


@pytest.mark.parametrize(
    ("question", "kinds", "unit"),
    [
        ("高新大厦有多高?", {"number"}, "米"),  # a height: an amount in 米 or 公里 answers it
        ("三一硅能基地的投资额是多少?", {"number"}, "元"),  # an investment is an amount of money
        ("他今年多大年纪?", {"number"}, "岁"),
        ("大厦一共有多少层?", {"number"}, "层"),
        ("How much did the project cost?", {"number"}, "元"),
        ("寒假实践活动叫什么名字?", set(), None),  # a name, but not a person's
        ("那位大二学生叫什么名字?", {"person"}, None),
        ("工程总投资是多少亿元?", {"number"}, "亿元"),
        ("房子每平方米卖多少钱?", {"number"}, "元"),
        ("有多少人参加培训?", {"number"}, "人"),
        ("株洲到长沙坐高铁要多久", {"duration"}, None),
        ("基地建了几天?", {"duration"}, "天"),  # a length of time, not any number
        ("他在这里工作了多少年?", {"duration"}, "年"),
        ("贷款期限是几年?", {"duration"}, "年"),
        ("走完全程要几个小时?", {"duration"}, "小时"),  # hours, not the measure word 个
        ("他今年读几年级?", set(), None),  # a school year, not a length of time
        ("开发商叫什么名字?", {"organization"}, None),
        ("株洲哪家医院完成了手术?", {"organization"}, None),
        ("Which university did the students come from?", {"organization"}, None),
        ("How long did it take to build the base?", {"duration"}, None),
        ("For how many years did he work there?", {"duration"}, None),
        ("Who introduced the rapeseed base?", {"person"}, None),
        ("株洲产研所培育出了什么系列品牌?", set(), None),
        ("韩遂为什么要投靠羌人?", {"reason"}, None),
        ("景致形成的原因是什么?", {"reason"}, None),
        ("Why was the road closed?", {"reason"}, None),
        ("前夫王某受的伤被定为什么等级?", set(), None),  # 定为 + 什么等级: a what, not a why
        ("要从什么角度去权衡,而不是找理由推脱?", set(), None),
        ("盾柱木的别名是什么?", {"alias"}, None),
        ("潘仕成逝世的时间是?", {"date"}, None),
        ("该村是从哪一年开始打造基地的?", {"year"}, None),  # a year, not any date
        ("In what year did the village start the base?", {"year"}, None),
        ("On which days did the Political Bureau hold the meeting?", {"day"}, None),  # plural too
        ("In which years did the river flood?", {"year"}, None),
        ("临时施工许可是哪天通过的?", {"day"}, None),  # a day, not "去年年底"
        ("培训会是几月几日召开的?", {"day"}, None),
        ("项目是几月复工的?", {"date"}, None),
        ("符泳练水的时间是其他泳手的一半,为什么成绩非凡?", {"reason"}, None),
        ("高新大厦是在哪一年建成的?", {"year"}, None),  # 在哪 + 一年: when, not where
        ("项目是在哪天开工的?", {"day"}, None),
        ("湖南哪个城市的硬质合金产量最高?", {"place"}, None),
        ("株洲是西元几年设市的?", {"year"}, None),  # a year of the calendar, not a length of time
        ("这种建筑风格流行于哪一年代?", {"date"}, None),  # a decade: "1970年代" is no year
        ("该公司初期的主要业务为何?", set(), None),  # 为何 closing a question asks what, not why
        ("这家企业为何要搬迁?", {"reason"}, None),
        ("他辞职是为什么?", {"reason"}, None),
    ],
)
def test_what_a_question_asks_for(question, kinds, unit):
    assert question_types(question) == kinds
    assert question_unit(question) == unit


@pytest.mark.parametrize(
    ("sentence", "kind", "holds"),
    [
        ("因此它有时也被称为笨蛋水果。", "reason", True),
        ("为了评估分娩时麻醉过程对新生儿的影响。", "reason", True),
        ("该因素尚不明确。", "reason", False),
        ("又名欧蓍、千叶蓍、锯草。", "alias", True),
        ("广泛分布于北半球各地。", "alias", False),
    ],
)
def test_a_sentence_that_gives_a_reason_or_another_name(sentence, kind, holds):
    assert (kind in sentence_types(sentence)) is holds


@pytest.mark.parametrize(
    ("sentence", "kind", "holds"),
    [
        ("粮食作物播种面积约占全省的四分之三", "number", True),  # a fraction
        ("极限动员时可能有四十万", "number", True),  # an amount in 万 without a unit
        ("首轮以1比3不敌对手", "number", True),  # a score
        ("民国39年5月,解放军登陆", "year", True),
        ("845年3月,他下令打击外来宗教", "year", True),
        ("有300年历史的老街", "year", False),  # three digits without a month: a length of time
        ("自19世纪晚期起成为标准", "date", True),
        ("1970年代初经济成长受到冲击", "date", True),
        ("东汉时期发展出成熟的制法", "date", True),
        ("全国人大代表田际群建议加大支持", "person", True),  # jieba tags 田际/n 群/n
        ("原局长符劲松被开除党籍", "person", True),
        ("退休教师 王金根", "person", True),  # a column's byline: role, space, name
        ("人民代表大会召开第三次会议", "person", False),
        ("主任于今年退休", "person", False),  # 于 begins a word after a role
        ("为纪念孙中山,香山县改名中山县", "reason", True),
    ],
)
def test_the_kinds_a_sentence_holds(sentence, kind, holds):
    assert (kind in sentence_types(sentence)) is holds


@pytest.mark.parametrize(
    ("sentence", "year", "day"),
    [
        ("3月8日,徐家塘村油菜花盛开。", False, True),  # a day but no year
        ("该村从2016年开始打造油菜种植基地。", True, False),
        ("去年年底临时施工许可证到期。", True, False),
        ("昨日,项目通过临时施工许可。", False, True),
        ("住在3号楼的居民", False, False),
        ("上世纪90年代建成", False, False),
    ],
)
def test_a_sentence_that_prints_a_year_or_a_day(sentence, year, day):
    kinds = sentence_types(sentence)
    assert ("year" in kinds, "day" in kinds) == (year, day)


def test_the_answer_to_a_year_question_is_the_year_not_the_day():
    quote = "3月8日,村里油菜花盛开。村支书介绍,该村从2016年开始打造油菜种植基地。"
    year = answer_span(quote, question_types("该村是哪一年开始打造基地的?"))
    day = answer_span(quote, question_types("油菜花是哪天盛开的?"))
    assert year is not None and quote[slice(*year)] == "2016年"
    assert day is not None and quote[slice(*day)] == "3月8日"


@pytest.mark.parametrize(
    ("sentence", "duration"),
    [("仅用152天即完成建设", True), ("有效期一般为3个月", True), ("历时两年多", True),
     ("累计志愿服务1300余小时", True), ("2024年建成", False),
     ("全程需要3个小时", True), ("历时两个多小时", True), ("培训持续了3个星期", True),
     ("2024年1月5日下午举行", False), ("1月5日下午1时至5时", False)],
)
def test_a_date_is_not_a_length_of_time(sentence, duration):
    assert ("duration" in sentence_types(sentence)) is duration


@pytest.mark.parametrize(
    ("sentence", "date"),
    [("过去的13年里,他一直坚持义诊", False), ("前3年投入最大", False), ("1949年10月1日", True),
     ("公元618年,李渊称帝", True), ("民国13年建成", True), ("13年3月开工", True)],
)
def test_a_two_digit_count_of_years_is_not_a_date(sentence, date):
    assert ("date" in sentence_types(sentence)) is date


@pytest.mark.parametrize(
    ("sentence", "unit", "match"),
    [
        ("项目总投资3.5亿元", "亿元", 1.0),
        ("有效期一般为3个月,可延长至6个月", "亿元", 0.0),  # numbers, but not the amount asked for
        ("节约审批费用3000万元以上", "元", 1.0),
        ("800余名统战成员下沉社区", "人", 1.0),  # 多少人 is answered by 名 as well
        ("企业提供的岗位超过2000个", "人", 0.0),
        ("企业提供的岗位超过2000个", None, 1.0),
    ],
)
def test_a_named_unit_must_be_the_one_supplied(sentence, unit, match):
    assert type_match(frozenset({"number"}), sentence, unit) == match


@pytest.mark.parametrize(
    ("question", "sentence", "match"),
    [
        # "几年" asks for years: minutes or a calendar year are no answer
        ("贷款期限是几年?", "不到10分钟,他便收到了贷款审批通过的短信。", 0.0),
        ("贷款期限是几年?", "2024年他获得了40万元贷款。", 0.0),
        ("贷款期限是几年?", "这笔贷款期限为3年。", 1.0),
        ("项目用了几个月?", "项目用了3个月就完工了。", 1.0),
        ("项目用了几个月?", "项目3月开工,历时152天完工。", 0.0),  # "3月" is a month of the calendar
        ("走完全程要几个小时?", "全程大约需要三个小时。", 1.0),
        ("走完全程要几个小时?", "全程大约需要3个多小时。", 1.0),
        ("走完全程要几个小时?", "全程共设3个站点。", 0.0),  # a count, not hours
        # a company is asked for: a sentence naming none cannot answer
        ("蓝谷小镇项目原来的开发商叫什么名字?", "由于开发资金链断裂,项目于2021年停工。", 0.0),
        ("蓝谷小镇项目原来的开发商叫什么名字?", "项目原由湖南某某置业有限公司开发。", 1.0),
        ("Which news agency interviewed the mayor?", "市长接受新华社采访。", 1.0),
        # "多少年" asks for a length of time, which "过去的13年" is, though 年 is no unit of a count
        ("他在这里工作了多少年?", "过去的13年,他一直在这里工作。", 1.0),
        ("贷款期限是几年?", "贷款期限3年,年利率3.45%。", 1.0),
        ("For how many years did he work there?", "过去的13年,他一直在这里工作。", 1.0),
        ("他在这里工作了多少年?", "他于2011年来到这里工作。", 0.0),  # a year of the calendar
        # amounts in the units wire stories and Wikipedia print
        ("光电追踪仪的追踪距离有多远?", "光电追踪仪的追踪距离为10km。", 1.0),
        ("塔有多高?", "塔高300公尺。", 1.0),
        ("这头熊有多重?", "成年雄熊体重可达120公斤。", 1.0),
        ("每股收购价是多少钱?", "泰森食品公司以每股63美元现金收购希尔夏品牌。", 1.0),
        ("塔有多高?", "塔于1998年10月建成。", 0.0),
    ],
)
def test_the_asked_unit_length_of_time_or_organization(question, sentence, match):
    assert type_match(question_types(question), sentence, question_unit(question)) == match


@pytest.mark.parametrize(
    ("question", "places"),
    [
        ("那个项目在哪条路上?", ("路",)),
        ("株洲高新区对应的是哪个区?项目在哪条路上?", ("区", "路")),
        ("他来自哪个县的哪个村?", ("县", "村")),
        ("A-135系统部署在哪个区域附近?", ()),  # an area, not a district
        ("哪个路段最长?", ()),
        ("他是哪个国家的赛车手?", ()),  # 日本, 荷兰: countries need not end in 国
        ("项目在哪里?", ()),
    ],
)
def test_the_kind_of_place_a_question_names(question, places):
    assert question_places(question) == places


@pytest.mark.parametrize(
    ("sentence", "places", "match"),
    [
        ("位于天元区泰山西路的华晨神农府项目,涉及保交楼任务共6个楼栋597套。", ("区", "路"), 1.0),
        ("株洲高新区(天元区)在5项工作中获得表扬激励。", ("区", "路"), 0.0),  # a district, but no road
        ("株洲高新区(天元区)在5项工作中获得表扬激励。", ("区",), 1.0),
    ],
)
def test_a_named_kind_of_place_must_be_the_one_supplied(sentence, places, match):
    assert type_match(frozenset({"place"}), sentence, None, places) == match


def _candidates(answer_type: float, *, asks_type: bool, english: bool = False, attribute: float = 1.0) -> Candidates:
    one = np.ones(1, dtype=np.float32)
    return Candidates(
        ids=np.array([7]), dense=one, chunk=one, window_coverage=one, context_coverage=one,
        answer_type=np.array([answer_type], dtype=np.float32), byline=0 * one, neighbour=one, bm25=one,
        sentence_coverage=one, position=0 * one, length=40 * one, beyond_headline=one, neighbour_type=0 * one,
        attribute=attribute * one, asks_type=asks_type, english=english,
    )


def test_confidence_drops_when_the_best_sentence_lacks_what_was_asked():
    w = Tuning()
    hits = [Hit(7, 1.5)]
    assert confidence(hits, _candidates(1.0, asks_type=True), w) == pytest.approx(1.5)
    assert confidence(hits, _candidates(0.0, asks_type=True), w) == pytest.approx(1.5 - w.type_penalty)
    # a question asking for nothing in particular is credited what a typed sentence earns
    assert confidence(hits, _candidates(0.0, asks_type=False), w) == pytest.approx(1.5 + w.answer_type)
    assert confidence(hits, _candidates(0.0, asks_type=False, english=True), w) == pytest.approx(
        1.5 + w.answer_type + w.crosslingual
    )
    # a window that never mentions the attribute asked about ("…的总投资是多少")
    assert confidence(hits, _candidates(1.0, asks_type=True, attribute=0.0), w) == pytest.approx(1.5 - w.attribute_penalty)
    assert confidence([], _candidates(0.0, asks_type=True), w) == 0.0
