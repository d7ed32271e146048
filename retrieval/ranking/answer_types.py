"""What kind of thing a question asks for, and whether a sentence contains such a thing.

"有多少…" wants a quantity, "谁…" a person, "哪天…" a date, "在哪…" a place, "为什么…" a reason
(因为, 由于, 为了…), "别名…" another name (又称, 俗称…), "哪家公司…" an organization (…有限公司, 新华社). A sentence that talks about the right topic
but holds no quantity cannot answer "多少"; the sentence next to it that does usually can. This is
the classic answer-type check of extractive QA, in Chinese and English.

Two date questions are finer: "哪一年" needs a year ("3月8日,…基地油菜花盛开" holds a date but
cannot say which year; "该村从2016年开始…" next to it can), "哪天" / "几月几日" a day of the month
("去年年底" is a date, not a day).
"""

from __future__ import annotations

import re
from functools import lru_cache


from retrieval.text import CJK

# words for an organization in a question ("哪家企业", "那个单位叫什么")
_ORG_NOUNS = "公司|企业|单位|机构|银行|医院|学校|大学|学院|集团|工厂|厂|媒体|报社|部门|协会|合作社|酒店|商户|品牌"

_QUESTION = {
    "date": re.compile(
        r"哪[一]?天|哪[一]?年|哪个月|几月|几号|几日|什么时候|何时|什么时间|哪个时间|日期|多少年前|的时间(?:是|为)?\s*[?？]?\s*$"
        r"|\bwhen\b|\bwhat (?:years?|days?|dates?|months?|time)\b|\bwhich (?:years?|days?|dates?|months?)\b|\bhow long ago\b",
        re.I,
    ),
    # finer kinds of date: they stand for "date" in the kinds of a question (question_types)
    "year": re.compile(r"哪[一个]?年(?![龄级纪代])|(?:西元|公元|民国)\s*(?:几|多少)\s*年|\b(?:what|which) years?\b", re.I),
    "day": re.compile(r"哪[一]?天|哪一日|几月几[日号]|几号(?![线楼])|\b(?:what|which) (?:days?|dates?)\b|\bon what date\b", re.I),
    "number": re.compile(
        r"多少|几[个名家项次天人位件所台辆吨亩元倍条座批种成批]|多[高长大远重宽深]|占.{0,6}(?:比|多)|比例|百分之|几成|第几|排名"
        r"|\bhow (?:many|much|long|tall|high|far|big|old|large)\b|\bwhat (?:percentage|proportion|share|number)\b",
        re.I,
    ),
    "duration": re.compile(
        r"多久(?!以?前)|多长时间|(?<!西元)(?<!公元)(?<!民国)(?:多少|几)(?:天|年(?![级龄纪代])|个多?月|周|个?星期|个?小时|个?钟头|分钟)"
        r"|\bhow long (?:does|did|will|would|do|has|have|had|is it|was it|takes?|took)\b"
        r"|\bhow many (?:days|hours|minutes|years|months|weeks)\b",
        re.I,
    ),
    # "叫什么名字" asks for a person's name only after a word for a person ("那位大二学生叫什么名字");
    # an activity, a building or a company is named too ("那个活动叫什么名字")
    "person": re.compile(
        r"谁|哪位|什么人|姓名|\bwho\b|\bwhom\b|\bwhose\b"
        r"|(?:[人者员生师手农夫妻妇儿]|[市区县镇村部处科校院所厂社]长|主任|书记|代表|委员|老板|主播|干部|主席|经理|总裁|董事长|"
        r"局长|馆长|孩子|女孩|男孩|老人|市民|村民|职工|同学|老师|医生|护士|民警|队员)的?\s*(?:名字)?\s*(?:叫什么名字|叫什么|叫啥|名叫什么)",
        re.I,
    ),
    # a company, a bank, a school, an agency: "哪家公司", "开发商叫什么名字", "which university"
    "organization": re.compile(
        rf"哪[家个所]\s*(?:{_ORG_NOUNS})|哪家(?![人])"
        rf"|(?:{_ORG_NOUNS}|开发商|承建商|承建方|运营商|供应商|厂家|厂商|建设单位|施工单位|主办方|承办方)的?\s*(?:名字|名称|全称)?\s*(?:是|叫|为)\s*(?:什么|哪家|哪个|啥)"
        r"|\b(?:which|what) (?:[\w-]+ )?(?:company|companies|firm|bank|university|college|school|hospital|organi[sz]ation|agency|institute|enterprise|newspaper|outlet)\b",
        re.I,
    ),
    # ("被定为什么等级", "成为什么" ask for a what, not a why)
    "reason": re.compile(
        r"(?<![定成作视称评列改认变选名分划升降封任])为什么(?!\s*[?？]?\s*$)|为何(?!\s*[?？]?\s*$)|是为什么|是为何"
        r"|(?:什么|的)(?:原因|理由|目的)|(?:原因|理由|目的)(?:是|为)|怎么会|何故|\bwhy\b",
        re.I,
    ),
    "alias": re.compile(r"别名|别称|又称|又名|俗称|简称|昵称|绰号|外号|称之为什么|称为什么|叫做什么"),
    "place": re.compile(
        r"哪里|哪儿|在哪(?!一?个?\s*(?:年|天|日|月|时|号))|什么地方|哪一?个?(?:地方|城市|国家|地区|[区县市镇村省国])|哪条[路街]|何处|何地|\bwhere\b|\bwhich (?:district|county|city|road|street|village|town|province|country)\b",
        re.I,
    ),
}

_FINER_DATES = {"year", "day"}
_ONE_FACT = {"number", "duration", "date", "year", "day"}

# a quantity: a number with a unit or measure word, or a share — not a bare date like 3月23日
_UNIT = (
    r"(?:[个名家项次天人吨亩元米倍岁条座批种户台辆件所斤股层栋套起位届度期组只场轮]|平方|公里|公顷|立方|小时|分钟|千瓦|瓦"
    r"|公斤|千克|克|磅|升|公分|厘米|毫米|公尺|英尺|英寸|英里|海里|美元|欧元|英镑|港元|港币|日元|韩元|[A-Za-z]{1,3}(?![A-Za-z]))"
)


def _amount(units: str, *, digit_units: str = "") -> str:
    """A number followed by one of ``units`` ("1.43万亩", "800余名", "三十个"); ``digit_units`` are
    accepted after digits only ("42%")."""
    return (
        rf"\d+(?:[.,]\d+)*\s*(?:多|余)?\s*[万亿千百]*\s*(?:多|余)?\s*(?:{units}{digit_units})"
        rf"|[一二两三四五六七八九十百千万亿]+(?:多|余)?(?:{units})"
    )


_NUMBER = re.compile(
    _amount(_UNIT, digit_units="|%|‰|成") + "|百分之|[一二两三四五六七八九十]成"
    r"|[\d一二两三四五六七八九十百千]+分之[\d一二两三四五六七八九十百千]+"
    r"|\d+(?:[.,]\d+)*\s*(?:多|余)?\s*[万亿]|[一二两三四五六七八九十百千]+(?:多|余)?[万亿]|\d+\s*比\s*\d+"
)
# a year, printed ("2016年") or relative to the article ("去年5月"); a day of the month ("3月22日",
# "二十二日", "昨日"), not a numbered thing ("3号楼")
_YEAR = re.compile(
    r"(?<!\d)\d{4}\s*年(?!代)|[〇零○一二三四五六七八九]{4}年|[今去明前]年|(?:公元|西元|民国)前?\s*\d{1,4}\s*年"
    r"|(?<![\d.])\d{3}\s*年(?=\s*\d{1,2}\s*月)"
)
_DAY = re.compile(
    r"(?<!\d)\d{1,2}\s*日|(?<!\d)\d{1,2}\s*号(?![楼线院馆门车机位])|[一二三]?十?[一二三四五六七八九十]日|[昨今前明][天日]|元旦|除夕"
)
# any date: a year (of three or four digits, or of an era: "民国13年"; "过去的13年" is a length of
# time), a month, a day, a part of the year ("年底", "上半年") or a festival
_DATE = re.compile(r"(?<!\d)\d{3,4}\s*年|(?:公元|西元|民国)前?\s*\d{1,2}\s*年|\d{1,2}\s*月|\d{1,2}\s*[日号]|[今去明前]年|上半年|下半年|年底|年初|月底|月初|元旦|春节|(?:[一二三四五六七八九十]+)月"
                   r"|[\d一二三四五六七八九十]+\s*世纪|[\d一二三四五六七八九十]+\s*年代|时期|[早中晚初末]期|\d+(?:\.\d+)?\s*[万亿]?年前")


def _length_of_time(digit_units: str, word_units: str) -> str:
    """A length of time: digits and one of ``digit_units`` ("152天", "3个月", "1300余小时"; a year
    takes at most three: a four-digit "2024年" is a year of the calendar, and "3月" a month of
    it), or a Chinese numeral and one of ``word_units`` ("两年多", "半个月")."""
    years = "|".join(u for u in digit_units.split("|") if u == "年")
    longer = "|".join(u for u in digit_units.split("|") if u != "年")
    return "|".join(filter(None, [
        rf"(?<![\d.])\d{{1,3}}(?:\.\d+)?\s*(?:多|余)?\s*(?:{years})" if years else "",
        rf"(?<![\d.,])\d{{1,3}}(?:,\d{{3}})*(?:\d+)?(?:\.\d+)?\s*(?:多|余)?\s*(?:{longer})" if longer else "",
        rf"[一二两三四五六七八九十半]+(?:多|余)?(?:{word_units})",
    ]))


# a length of time: "3个月", "152天", "40分钟" — not a year ("2024年") or a day of the month ("5日")
_DURATION = re.compile(
    _length_of_time("年|个多?月|周|个?多?星期|天|个?多?小时|分钟|秒|个?多?钟头|个?工作日", "个?多?(?:年|月|周|星期|天|小时|分钟|钟头|工作日)")
)
# "多少亿元" asks for an amount in 亿元: a sentence whose only numbers are dates or head counts
# cannot answer it. Counters of people are interchangeable (多少人 → "800余名").
_ASKED_UNIT = re.compile(
    r"(?:多少|几)\s*(平方米|平方公里|公里|千米|米|公顷|亩|吨|公斤|千克|斤|亿元|万元|元|钱|亿|万|千瓦|兆瓦|辆|台|套|户|家|所|座|条|项|起|场|届|岁|倍|层|个|名|人|位)"
)
# "期限是几年" asks for a length of time in years: "不到10分钟" cannot answer it, nor can "2024年"
_TIME_UNITS = ("年", "月", "周", "星期", "天", "小时", "分钟")
_COUNTED = ("月", "星期", "小时")  # counted with 个: "几个小时", "三个星期" ("3月" is a month of the calendar)
_ASKED_TIME = re.compile(r"(?<!西元)(?<!公元)(?<!民国)(?:多少|几)\s*(?:(年|周|星期|天|小时|分钟)(?![级龄纪代前])|个\s*(?:多\s*)?(" + "|".join(_COUNTED) + "))")
# a quantity asked for without its unit: by the thing measured ("投资额是多少" wants 元, "多大年纪"
# 岁, "多高" a length) — a sentence whose only numbers are days or head counts cannot answer it
_MEASURED = (
    (re.compile(
        r"(?:投资|金额|资金|价格|价钱|票价|门票|收入|费用|造价|成本|罚款|奖金|工资|补贴|营收|销售额|交易额|成交额|利润|税收|花了|花费|卖了|赚了)"
        r"额?的?\s*(?:总共|一共|共|总额)?\s*(?:是|为|有|达到?|约|大约|大概)?\s*(?:多少|几)(?![人名位个家项次天年月])"
        r"|\bhow much (?:money\b|did .{0,60}\b(?:cost|invest|spend|earn|sell for|raise)\b|(?:does|do|will) .{0,60}\bcost\b)"
        r"|\bwhat (?:was|is) the (?:total )?(?:cost|price|investment|value)\b",
        re.I,
    ), "元"),
    (re.compile(r"多大年纪|多大岁数|年龄(?:是|为|有)?多[少大]|\bhow old\b", re.I), "岁"),
    (re.compile(r"多[高远深宽]|多长(?!时间)|\bhow (?:tall|high|far|deep|wide)\b", re.I), "米"),
    (re.compile(r"多重|\bhow heavy\b", re.I), "吨"),
    (re.compile(r"面积(?:是|为|有|达)?(?:多少|多大)|多大(?:的)?面积|占地多[少大](?!年)|\bhow (?:big|large) (?:is|was) the (?:\w+ )?area\b", re.I), "平方米"),
)
# a measure stands for its family: 多高 is answered in 米 or 公里, 多重 in 吨 or 公斤, an area in 亩,
# 多少钱 in 美元 too, and in the units Wikipedia and wire stories print ("10km", "300公尺", "km²")
_UNIT_FAMILY = {
    "米": "米|公里|千米|公尺|英尺|英里|海里|(?i:km|cm|mm|m)(?![A-Za-z])",
    "吨": "吨|公斤|千克|斤|克|磅|(?i:kg)(?![A-Za-z])",
    "平方米": "平方米|平方公里|亩|公顷|平方|(?i:km|m)\\s*[2²]",
    "元": "元|美元|欧元|英镑|港元|港币|日元|韩元",
}
_PEOPLE = ("人", "名", "位")
# "哪条路" asks for a road, "哪个区" for a district: a sentence naming only a 市 or a 村 cannot answer it
# ("哪个区域", "哪个国王" are other questions; countries are named too many ways to check: 日本, 荷兰)
_ASKED_PLACE = re.compile(r"哪一?[个条座]?\s*(路|街|大道|区|县|市|镇|乡|村|省)(?=[的上里内]|[^" + CJK + "]|$)")
# a cause or a purpose, said in so many words
_REASON = re.compile(r"因为|由于|因此|所以|为了|以便|导致|造成|致使|以致|因而|原因|理由|目的|缘故|于是|故而|以免|因[^素]|为纪念|为庆祝|故[有称名此]")
_ALIAS = re.compile(r"别名|别称|又称|又名|俗称|简称|昵称|绰号|外号|亦称|也称|或称|称为|称作|叫做|被称|人称|号称|英文名|英语")
_PLACE = re.compile(f"[{CJK}]{{1,6}}" r"(?:路|街|大道|区|县|市|镇|乡|村|省|州|山|湖|江|港|园|馆|广场|基地)")
# an organization named by its kind ("株洲三峡水环境综合治理有限公司", "中车株洲所", "新华社"; jieba's
# "nt" tag finds more)
_ORGANIZATION = re.compile(
    f"[{CJK}A-Za-z]{{2,}}"
    r"(?:公司|集团|股份|银行|医院|学校|大学|学院|中学|小学|研究院|(?<![场住厕])所(?![以有在属得谓需要示述处长])|设计院|中心|协会|学会|商会|"
    r"合作社|委员会|事务所|工作室|电视台|报社|新华社|日报|局|厅|办公室|联合会|基金会|工厂|[^\s]厂(?![区房长])|酒店|超市|商场|门店|品牌)"
)

# a person named after their role ("全国人大代表田际群", "局长符劲松", "退休教师王金根"): jieba's
# tagger misses many such names (田际/n 群/n, 符/v 劲松/n). Common surnames only, less those that
# also begin an ordinary word after a role ("代表向…", "主任于今年", "专家高度", "代表祝贺")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈姚"
    "卢姜崔钟谭陆汪范金石廖贾韦付傅邹孟熊秦邱尹薛闫段雷侯陶黎顾毛郝龚邵覃武戴孔汤殷符易欧柳颜庞聂葛伍凌阎"
)
_ROLES = (
    "代表|委员|书记|主任|局长|院长|校长|部长|厅长|处长|科长|所长|市长|区长|县长|镇长|乡长|村长|组长|队长|站长|行长|"
    "会长|社长|馆长|经理|董事长|总裁|主席|教授|教师|老师|医生|护士|记者|学生|干部|负责人|创始人|志愿者|党员|村民|居民|"
    "市民|职工|同志|律师|法官|民警|警官|工程师|专家|院士|作家|演员|选手|运动员|农民|老人|师傅|博士|研究员|厂长|店长|老板"
)
_PERSON = re.compile(f"(?:{_ROLES})\\s?[{_SURNAMES}][{CJK}]{{1,2}}")  # "退休教师 王金根" too


def question_types(question: str) -> frozenset[str]:
    """The kinds of thing ``question`` asks for. "哪一年" asks for a year and "哪天" for a day, in
    place of any date: the sentence that prints only "3月8日" cannot say which year. "多少年" asks
    for a length of time, in place of any number: "贷款期限3年" answers it."""
    kinds = {t for t, pattern in _QUESTION.items() if pattern.search(question)}
    if kinds & _FINER_DATES:
        kinds.discard("date")
    if "duration" in kinds:  # "多少年", "how many years": a length of time, not another number ("3年" is no 个 or 元)
        kinds.discard("number")
    return frozenset(kinds)


# a question that asks for an account — a cause, a manner, a list, a description ("为什么…",
# "是怎么死的", "有哪些特征", "主要内容是什么") — whose answer often runs over two sentences:
# "…一条军溃败,战死200余人。" / "此战奠定了…的霸权。"
_ACCOUNT = re.compile(
    r"怎么|怎样|如何|哪些|什么样|有何|特点|特征|症状|情节|内容|经过|过程|背景|影响|作用|功能|意义|区别|不同|好处|评价|解释|措施|做法|做了什么"
    r"|\b(?:why|how)\b(?! (?:many|much|long|old|tall|high|far|big|large|often)\b)|\bwhat (?:are|were) (?:the|some)\b",
    re.I,
)


def asks_account(question: str, kinds: frozenset[str]) -> bool:
    """Whether ``question``, asking for ``kinds`` (:func:`question_types`), asks for an account
    rather than one fact: a reason, a manner, a list or a description (:data:`_ACCOUNT`) — but not
    an amount or a date ("受影响的有多少户?" asks for one number)."""
    return "reason" in kinds or (bool(_ACCOUNT.search(question)) and not kinds & _ONE_FACT)


# the attribute a question asks about is the noun just before its question word ("…产业园的总投资
# 是多少", "省直中医院的院长是谁"), past the words that only link the two (的, 是, 一共有, 预计…)
_INTERROGATIVE = re.compile(r"多少|几|谁|什么|啥|哪|怎么|怎样|如何|多[高长大远重宽深久]|是否|有没有|有无")
_LINKING = frozenset(
    "的 是 为 有 叫 在 将 由 被 了 要 会 能 能够 可 可以 约 达 达到 共 一共 总共 共有 大概 大约 还 都 已经 已 曾 曾经 "
    "目前 现在 当时 最 一 分别 各 究竟 到底 又 也 就 才 则 预计 计划".split()
)
_LINKING_TAGS = frozenset({"u", "uj", "ul", "uz", "ug", "ud", "uv", "d", "p", "c", "y", "x"})
_NOUN_TAGS = frozenset({"n", "nz", "vn", "ng", "an"})
# nouns that only restate the asked kind ("成立的时间", "举办的地点", "它的名字")
_KIND_NOUNS = frozenset("时候 时间 日期 年份 地方 地点 位置 名字 名称 数量".split())
# "…的那种欠款叫什么?", "那位美国女作家是谁": the reader's word for a thing the question describes
_NAMES_ASKED = re.compile(r"(?:叫|称作|称为|名叫|叫做)\s*(?:什么|啥)|什么名字|名称是什么|名字是什么")
_DEMONSTRATIVE = re.compile(r"[那这]一?[个位场段种项篇件家条座次批所名些只]?[^,，、的]{0,4}$")


def asked_attribute(question: str) -> str | None:
    """The attribute a Chinese question asks about, when it names one: the noun before its question
    word ("湖南先进硬质材料产业园的总投资是多少亿元?" → 投资, "省直中医院的院长是谁?" → 院长). A
    sentence about the right topic that never mentions the attribute seldom answers: the paper
    that reports the park's area but not its investment cannot say how much was invested. None
    for a question with no such noun, for nouns that restate the asked kind (时间, 地方), and for
    the reader's word for a thing the question describes ("…的那种欠款叫什么?"): the paper may
    call it otherwise. ``parse_query`` keeps it only when the corpus prints it somewhere."""
    if _NAMES_ASKED.search(question):
        return None
    m = _INTERROGATIVE.search(question)
    if not m:
        return None
    import jieba.posseg  # loaded by AnswerService.prepare_in_background for the REPL and the bot

    words = [p for p in jieba.posseg.lcut(question[: m.start()]) if p.word.strip()]
    while words and (words[-1].word in _LINKING or words[-1].flag in _LINKING_TAGS):
        words.pop()
    if not words:
        return None
    last = words[-1]
    if (last.flag not in _NOUN_TAGS or len(last.word) < 2 or not re.fullmatch(f"[{CJK}]+", last.word)
            or last.word in _KIND_NOUNS or _DEMONSTRATIVE.search("".join(p.word for p in words[:-1]))):
        return None
    return last.word


def question_unit(question: str) -> str | None:
    """The unit a quantity question names ("多少亿元" → "亿元", "多少钱" → "元", "几年" → "年") or
    implies by what it measures ("投资额是多少" → "元", "多高" → "米", "多大年纪" → "岁"), if any."""
    m = _ASKED_TIME.search(question)
    if m:
        return m.group(1) or m.group(2)
    m = _ASKED_UNIT.search(question)
    if m:
        return "元" if m.group(1) == "钱" else m.group(1)
    return next((unit for pattern, unit in _MEASURED if pattern.search(question)), None)


def question_places(question: str) -> tuple[str, ...]:
    """The kinds of place a question names ("哪条路" → 路), each of which the answer must name."""
    return tuple(dict.fromkeys(_ASKED_PLACE.findall(question)))


@lru_cache(maxsize=64)
def _place_in(suffix: str) -> re.Pattern[str]:
    return re.compile(rf"[{CJK}]{{1,8}}{suffix}")


@lru_cache(maxsize=64)
def _amount_in(unit: str) -> re.Pattern[str]:
    if unit in _PEOPLE:
        return re.compile(_amount("|".join(_PEOPLE)))
    if unit in _TIME_UNITS:  # a length of time in that unit: "3年", "两个多月", not "2024年" or "3月"
        counted = f"个?多?{unit}" if unit in _COUNTED else unit  # "3个小时", "两个多月"
        return re.compile(_length_of_time("个多?月" if unit == "月" else counted, counted))
    return re.compile(_amount(_UNIT_FAMILY.get(unit, re.escape(unit))))


# What a sentence holds, as bits: computed once per sentence at build time and stored in the index
# (jieba's part-of-speech tagging was half of a query's time when it ran per candidate).
KINDS = ("number", "duration", "date", "year", "day", "place", "reason", "alias", "person", "organization")
# what sentence_facts finds, by version, recorded in the index manifest: an index whose facts are of
# another version has them recomputed by the next build, its vectors reused (a million sentences
# re-embedded take hours on a CPU; their facts, minutes). Raise it with every change above that
# moves a bit. 2: fractions, bare 万/亿 amounts, scores, era and three-digit years, centuries,
# decades and periods, causes said with 为纪念/故有, a person named after a role (局长符劲松),
# lengths of time of four digits and more but in years ("1300余小时"). 3: amounts in 公斤, 千克, 厘米,
# 公尺, 英里…, and in 美元, 欧元, 港元… ("63美元", "120公斤" held no number)
FACTS_VERSION = 3
_BIT = {kind: 1 << i for i, kind in enumerate(KINDS)}
BYLINE = 1 << len(KINDS)  # a byline on its own ("株洲日报讯(全媒体记者/张威)"): not a kind of answer


def kinds_mask(kinds: frozenset[str]) -> int:
    """The bits a sentence must hold to answer a question asking for ``kinds``."""
    return sum(_BIT[k] for k in kinds)


def sentence_facts(sentence: str, *, byline: bool = False) -> int:
    """The kinds of thing ``sentence`` holds (``KINDS`` bits), plus ``BYLINE`` when it is one."""
    bits = BYLINE if byline else 0
    for kind, pattern in (
        ("number", _NUMBER), ("duration", _DURATION), ("date", _DATE), ("year", _YEAR), ("day", _DAY),
        ("place", _PLACE), ("reason", _REASON), ("alias", _ALIAS), ("organization", _ORGANIZATION),
        ("person", _PERSON),
    ):
        if pattern.search(sentence):
            bits |= _BIT[kind]
    import jieba.posseg  # build time and display only: its tag dictionary takes half a second to load

    for pair in jieba.posseg.cut(sentence, HMM=True):
        if pair.flag == "nr" and len(pair.word) >= 2:
            bits |= _BIT["person"]
        elif pair.flag == "ns":
            bits |= _BIT["place"]
        elif pair.flag == "nt":
            bits |= _BIT["organization"]
    return bits


def sentence_types(sentence: str) -> frozenset[str]:
    facts = sentence_facts(sentence)
    return frozenset(k for k in KINDS if facts & _BIT[k])


def holds_asked(sentence: str, unit: str | None, places: tuple[str, ...]) -> bool:
    """The finer part of the check, run on the few candidates whose kinds already fit: an amount
    in the asked unit, and a place of each asked kind."""
    if unit is not None and not _amount_in(unit).search(sentence):
        return False
    return all(_place_in(p).search(sentence) for p in places)


def type_match(
    question_kinds: frozenset[str], sentence: str, unit: str | None = None, places: tuple[str, ...] = ()
) -> float:
    """1.0 when the sentence holds every kind of thing the question asks for (an amount in the asked
    unit, a place of each asked kind), 0 otherwise (and for questions that ask for no particular kind)."""
    need = kinds_mask(question_kinds)
    if not need or sentence_facts(sentence) & need != need:
        return 0.0
    return 1.0 if holds_asked(sentence, unit, places) else 0.0


# the date a 哪天/什么时候 question wants, printed whole: "2023年12月29日", "1月4日", "2022年6月"
_DATE_SPAN = re.compile(
    r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{4}\s*年\s*\d{1,2}\s*月|\d{4}\s*年(?:底|初)?"
    r"|\d{1,2}\s*月(?:底|初|份)?|[今去明前]年|上半年|下半年|年底|年初|元旦|春节"
)

# the day a 哪天/几月几日 question wants, with its month and year where printed
_DAY_SPAN = re.compile(r"(?:\d{4}\s*年\s*)?(?:\d{1,2}\s*月\s*)?(?:\d{1,2}\s*日|\d{1,2}\s*号(?![楼线院馆门车机位])|[一二三]?十?[一二三四五六七八九十]日)|[昨今前明][天日]|元旦|除夕")

# "多高" asks for a length, "多重" a weight, "多大" an area: the amount in such a unit answers it
_DIMENSION = (
    (re.compile(r"多[高长远深宽]|\bhow (?:tall|high|long|far|deep|wide)\b", re.I), _amount_in("米")),
    (re.compile(r"多重|\bhow heavy\b", re.I), _amount_in("吨")),
    (re.compile(r"多大|面积|\bhow (?:big|large)\b", re.I), _amount_in("平方米")),
)


def answer_span(
    sentence: str, kinds: frozenset[str], unit: str | None = None, places: tuple[str, ...] = (),
    question: str = "",
) -> tuple[int, int] | None:
    """Where in ``sentence`` the words that answer are: the amount (in the asked unit, or of the
    asked dimension: 米 for 多高) for 多少, the length of time for 多久, the date for 哪天, the name
    for 谁, the place (of the asked kind) for 哪里; the first such span, in that order of kinds.
    None when the question asks for no kind of thing this can point at (为什么, 别名) or the
    sentence holds none. Display only: nothing here changes what is ranked or quoted."""
    candidates: list[re.Pattern[str]] = []
    if "duration" in kinds:
        candidates += [_amount_in(unit)] if unit in _TIME_UNITS else []
        candidates.append(_DURATION)
    if "number" in kinds:
        candidates += [_amount_in(unit)] if unit else []
        candidates += [amount for pattern, amount in _DIMENSION if pattern.search(question)]
        candidates.append(_NUMBER)
    if "year" in kinds:
        candidates.append(_YEAR)
    if "day" in kinds:
        candidates.append(_DAY_SPAN)
    if "date" in kinds:
        candidates.append(_DATE_SPAN)
    for pattern in candidates:
        m = pattern.search(sentence)
        if m:
            start, end = m.span()
            while end > start and sentence[end - 1].isspace():
                end -= 1
            return start, end
    if "person" in kinds or "place" in kinds:
        if "place" in kinds and places:
            m = _place_in(places[0]).search(sentence)
            if m:
                return m.span()
        import jieba.posseg

        pos = 0
        for pair in jieba.posseg.cut(sentence, HMM=True):
            wanted = ("person" in kinds and pair.flag == "nr" and len(pair.word) >= 2) or (
                "place" in kinds and pair.flag == "ns"
            )
            if wanted:
                return pos, pos + len(pair.word)
            pos += len(pair.word)
        if "place" in kinds:
            m = _PLACE.search(sentence)
            if m:
                return m.span()
    return None
