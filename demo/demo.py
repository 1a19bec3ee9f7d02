"""Realistic demo data: 山东省 → 烟台市 → 莱阳市 and, on request, more Shandong counties.

Everything is drawn from ``random.Random`` seeded by ``seed`` (each county has its own stream, so a
county's data does not depend on how many others are built), relative to ``today``. Rows are written
with ``bulk_create`` in chunks and natural keys (region code, village code, unit region+name, cadre ID
number, assignment cadre+village+start), so building twice creates nothing new. A county that already
has villages is left as it is: its history was drawn on some earlier day (or with another seed), and
drawing it again could contradict it.

Every assignment is planned to pass ``assignments.rules`` (eligibility from the effective policy, and
no overlaps); the eligibility is checked with the rules' own function while planning.

Attendance, leave and spot checks cover the 14 months ending with the current one, for every county
built or already present, each keyed on its own natural keys: a sheet (township, month) that exists is
left as it is, rows are only written into the sheets this run creates; a county that already has leave
requests (spot checks) keeps them and gets none added, because leave drawn on another day could clash
with them. So a database seeded before attendance existed gets it on the next run, and a run on a later
day only adds the new months' sheets.
"""

import datetime
import random
import zlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from assignments import attendance, coverage, workcalendar
from assignments import leave as leave_rules
from assignments import policy as policy_defaults
from assignments.models import (
    Assignment,
    AssignmentEvent,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
    SpotCheck,
)
from assignments.models.attendance import ABSENT, BUSINESS, PRESENT, REST, month_bounds
from assignments.rules import eligibility_errors
from cadres import idcard
from cadres.dates import add_years, term_end, years_between
from cadres.models import Cadre, Level, Unit
from villages.models import Region, Village

DEMO_PASSWORD = "zhucun2024"
CADRE_LOGINS = 3  # cadres of the demo township with their own login (mobile number)
BATCH_SIZE = 2000

PROVINCE_CODE, PROVINCE_NAME = "370000000000", "山东省"

CITIES = {
    "3701": "济南市",
    "3702": "青岛市",
    "3703": "淄博市",
    "3704": "枣庄市",
    "3705": "东营市",
    "3706": "烟台市",
    "3707": "潍坊市",
    "3708": "济宁市",
    "3709": "泰安市",
    "3710": "威海市",
    "3711": "日照市",
    "3713": "临沂市",
    "3714": "德州市",
    "3715": "聊城市",
    "3716": "滨州市",
    "3717": "菏泽市",
}

# A college in each city, sending cadres at city level.
CITY_COLLEGES = {
    "3701": "济南大学",
    "3702": "青岛农业大学",
    "3703": "山东理工大学",
    "3704": "枣庄学院",
    "3705": "东营职业学院",
    "3706": "烟台大学",
    "3707": "潍坊学院",
    "3708": "济宁学院",
    "3709": "泰山学院",
    "3710": "威海职业学院",
    "3711": "日照职业技术学院",
    "3713": "临沂大学",
    "3714": "德州学院",
    "3715": "聊城大学",
    "3716": "滨州学院",
    "3717": "菏泽学院",
}

DEMO_COUNTY = ("370682", "莱阳市")
DEMO_TOWNSHIPS = [
    ("001", "城厢街道"),
    ("100", "沐浴店镇"),
    ("101", "团旺镇"),
    ("102", "穴坊镇"),
    ("103", "羊郡镇"),
    ("104", "姜疃镇"),
    ("105", "万第镇"),
    ("106", "照旺庄镇"),
    ("107", "谭格庄镇"),
    ("108", "河洛镇"),
    ("109", "吕格庄镇"),
]

# Further county-level divisions of Shandong (统计用区划代码), the rest of 烟台市 first, then in code
# order; the purely urban core districts are left out (they have no villages to speak of).
OTHER_COUNTIES = [
    ("370681", "龙口市"),
    ("370683", "莱州市"),
    ("370685", "招远市"),
    ("370686", "栖霞市"),
    ("370687", "海阳市"),
    ("370614", "蓬莱区"),
    ("370611", "福山区"),
    ("370612", "牟平区"),
    ("370613", "莱山区"),
    ("370112", "历城区"),
    ("370113", "长清区"),
    ("370114", "章丘区"),
    ("370115", "济阳区"),
    ("370116", "莱芜区"),
    ("370117", "钢城区"),
    ("370124", "平阴县"),
    ("370126", "商河县"),
    ("370211", "黄岛区"),
    ("370212", "崂山区"),
    ("370214", "城阳区"),
    ("370215", "即墨区"),
    ("370281", "胶州市"),
    ("370283", "平度市"),
    ("370285", "莱西市"),
    ("370302", "淄川区"),
    ("370304", "博山区"),
    ("370305", "临淄区"),
    ("370306", "周村区"),
    ("370321", "桓台县"),
    ("370322", "高青县"),
    ("370323", "沂源县"),
    ("370402", "市中区"),
    ("370403", "薛城区"),
    ("370404", "峄城区"),
    ("370405", "台儿庄区"),
    ("370406", "山亭区"),
    ("370481", "滕州市"),
    ("370502", "东营区"),
    ("370503", "河口区"),
    ("370505", "垦利区"),
    ("370522", "利津县"),
    ("370523", "广饶县"),
    ("370702", "潍城区"),
    ("370703", "寒亭区"),
    ("370704", "坊子区"),
    ("370724", "临朐县"),
    ("370725", "昌乐县"),
    ("370781", "青州市"),
    ("370782", "诸城市"),
    ("370783", "寿光市"),
    ("370784", "安丘市"),
    ("370785", "高密市"),
    ("370786", "昌邑市"),
    ("370811", "任城区"),
    ("370812", "兖州区"),
    ("370826", "微山县"),
    ("370827", "鱼台县"),
    ("370828", "金乡县"),
    ("370829", "嘉祥县"),
    ("370830", "汶上县"),
    ("370831", "泗水县"),
    ("370832", "梁山县"),
    ("370881", "曲阜市"),
    ("370883", "邹城市"),
    ("370902", "泰山区"),
    ("370911", "岱岳区"),
    ("370921", "宁阳县"),
    ("370923", "东平县"),
    ("370982", "新泰市"),
    ("370983", "肥城市"),
    ("371003", "文登区"),
    ("371082", "荣成市"),
    ("371083", "乳山市"),
    ("371102", "东港区"),
    ("371103", "岚山区"),
    ("371121", "五莲县"),
    ("371122", "莒县"),
    ("371302", "兰山区"),
    ("371311", "罗庄区"),
    ("371312", "河东区"),
    ("371321", "沂南县"),
    ("371322", "郯城县"),
    ("371323", "沂水县"),
    ("371324", "兰陵县"),
    ("371325", "费县"),
    ("371326", "平邑县"),
    ("371327", "莒南县"),
    ("371328", "蒙阴县"),
    ("371329", "临沭县"),
    ("371403", "陵城区"),
    ("371422", "宁津县"),
    ("371423", "庆云县"),
    ("371424", "临邑县"),
    ("371425", "齐河县"),
    ("371426", "平原县"),
    ("371427", "夏津县"),
    ("371428", "武城县"),
    ("371481", "乐陵市"),
    ("371482", "禹城市"),
    ("371503", "茌平区"),
    ("371521", "阳谷县"),
    ("371522", "莘县"),
    ("371524", "东阿县"),
    ("371525", "冠县"),
    ("371526", "高唐县"),
    ("371581", "临清市"),
    ("371602", "滨城区"),
    ("371603", "沾化区"),
    ("371621", "惠民县"),
    ("371622", "阳信县"),
    ("371623", "无棣县"),
    ("371625", "博兴县"),
    ("371681", "邹平市"),
    ("371702", "牡丹区"),
    ("371703", "定陶区"),
    ("371721", "曹县"),
    ("371722", "单县"),
    ("371723", "成武县"),
    ("371724", "巨野县"),
    ("371725", "郓城县"),
    ("371726", "鄄城县"),
    ("371728", "东明县"),
]
MAX_COUNTIES = 1 + len(OTHER_COUNTIES)

TOWNSHIP_STEMS = [
    "大王",
    "石桥",
    "柳林",
    "新集",
    "马店",
    "河口",
    "双山",
    "龙泉",
    "白沙",
    "青石",
    "孙集",
    "刘庄",
    "杨楼",
    "张庄",
    "高庄",
    "古城",
    "官庄",
    "桃园",
    "三里",
    "北关",
    "店子",
    "辛庄",
    "王村",
    "朱刘",
    "侯镇",
    "台头",
    "营里",
    "田柳",
    "化龙",
    "大店",
    "西关",
    "南麻",
    "东里",
    "黄山",
    "凤凰",
    "石门",
    "泉头",
    "卧龙",
    "岔河",
    "安仁",
    "仁和",
    "永安",
    "太平",
    "长乐",
    "兴隆",
    "丰收",
    "崖头",
    "夏庄",
    "郭店",
    "宋家",
    "潘庄",
    "葛沟",
    "岳庄",
    "韩店",
    "徐家",
    "金岭",
    "铁山",
    "望湖",
    "松山",
    "槐荫",
]

SURNAMES = (
    "王王王王李李李张张张刘刘刘姜姜于于宋宋孙孙吕谭徐赵杨陈周高林曲栾隋迟修衣宫鞠慕盛邹唐董冷柳纪汤"
    "郝邵姚崔梁韩马黄丁胡郭范朱吴许孔田任曹袁邢"
)
VILLAGE_SURNAMES = "王李张刘姜于宋孙吕谭徐赵杨陈周高林曲栾隋迟修衣宫鞠慕盛邹唐董冷柳战纪汤郝邵崔韩马黄丁郭范"
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁建国志海东林峰文成龙浩宇晨凯健俊帅振洪立新永庆德春学"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英秀红梅琳婷雪慧颖倩洁萍莉晶蕾璐欣佳月丹翠凤兰"

VILLAGE_SUFFIXES = [
    "家庄",
    "家疃",
    "家夼",
    "家泊",
    "家沟",
    "家洼",
    "家埠",
    "格庄",
    "家村",
    "家屯",
    "家店",
    "家岭",
    "家河",
    "家寨",
    "家营",
]
VILLAGE_POSITIONS = ["", "", "", "", "前", "后", "东", "西", "南", "北", "大", "小", "上", "下"]
VILLAGE_STEMS = [
    "石河",
    "柳树",
    "杏山",
    "北山",
    "南山",
    "东山",
    "西河",
    "马山",
    "龙王",
    "青山",
    "黄土",
    "白石",
    "凤凰",
    "桃园",
    "梨园",
    "枣林",
    "松林",
    "柏林",
    "槐树",
    "杨树",
    "河头",
    "岚子",
    "泉水",
    "石门",
    "龙泉",
    "官道",
    "花园",
    "古城",
    "芦山",
    "鹤山",
    "卧龙",
    "大埠",
    "小埠",
    "赤山",
    "玉皇",
    "榆林",
    "荆山",
    "南岚",
    "富山",
]
VILLAGE_STEM_SUFFIXES = ["村", "庄", "沟", "头", "口", "埠", "屯", "后", "前"]

SPECIALTIES = [
    "农学",
    "畜牧兽医",
    "财务会计",
    "法律",
    "城乡规划",
    "电子商务",
    "园艺",
    "林学",
    "水利工程",
    "土木工程",
    "临床医学",
    "汉语言文学",
    "计算机科学与技术",
    "经济管理",
    "市场营销",
    "食品科学与工程",
    "农业经济管理",
    "思想政治教育",
]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "155", "158", "186"]

RECALL_NOTES = [
    "工作不胜任，群众不满意，派出单位召回",
    "长期不在岗，经查实后由派出单位召回",
    "履职不力，年度考核不称职，派出单位召回",
]
ADJUST_NOTES = ["因工作需要调回原单位", "因身体原因调整，另行选派"]

# --- attendance, leave and spot checks ---
ATTENDANCE_MONTHS = 14  # the months ending with the current one
SHORT_SHARE = 0.095  # rows drawn below the monthly minimum (leave and recalls add a few more)
BUSINESS_SHARE = 0.5  # rows with a few days away on reported official business
MAX_REST_DAYS_WORKED = 8  # weekends or holidays a cadre spends in the village to reach the minimum
LEAVE_PER_COUNTY = (27, 33)
LEAVE_DAYS_LIMIT = 20  # approved leave days per assignment over the months drawn (below any yearly cap)
SPOT_CHECKS_PER_COUNTY = (36, 44)
ABSENT_ON_RECORDED_DAYS = 3  # checks finding a cadre away on a day the sheet says in village
ABSENT_ON_LEAVE = 2  # checks finding a cadre away on approved leave (no discrepancy)

SHORT_LEAVE_REASONS = [
    "孩子生病就医，需陪同",
    "本人身体不适，到县医院就诊",
    "家中老人身体不适，回家照看",
    "参加亲属婚礼",
    "回家处理家中急事",
    "参加子女学校家长会",
    "到市里办理个人证件",
    "家中房屋漏雨需修缮",
]
LONG_LEAVE_REASONS = [
    "本人住院手术",
    "父亲住院手术，需陪护",
    "母亲病重，需陪护",
    "配偶生育，休陪产假",
    "直系亲属去世，休丧假",
    "本人婚假",
    "腰椎间盘突出，遵医嘱休养",
    "回外地探望父母（探亲假）",
]
REJECT_NOTES = [
    "正值村“两委”换届关键阶段，暂缓请假",
    "防汛值班期间，原则上不准假",
    "秋收秋种期间村里工作任务重，请调整时间",
    "请假事由不充分，请补充说明后重新申请",
    "本月在村天数已不足，不予批准",
]
CANCEL_NOTES = ["本人申请撤销", "家中事情已处理，撤销请假"]
REOPEN_REASONS = [
    "第{day}日{name}的记录有误，请更正",
    "第{day}日{name}在县里开会，应记为因公外出（差），请更正",
    "第{day}日{name}的考勤与电话查岗情况不符，请核实后更正",
]
PRESENT_NOTES = {
    SpotCheck.Method.PHONE: [
        "电话查岗，本人在村，视频确认",
        "电话抽查，本人在村委会值班",
        "电话查岗，本人正在入户走访",
    ],
    SpotCheck.Method.VISIT: [
        "进村抽查，本人在村委会办公，民情日记记录完整",
        "进村抽查，本人正在走访脱贫户",
        "进村抽查，本人正在组织召开村“两委”会议",
    ],
    SpotCheck.Method.UNANNOUNCED: [
        "突击暗访，本人在村，正在协调产业项目",
        "突击暗访，本人在村委会接待群众来访",
    ],
}
ABSENT_NOTES = [
    "突击暗访，本人不在村，村干部称其回城办事，未请假",
    "电话查岗，本人在县城家中，未请假",
    "进村抽查未见本人，当日考勤却记为在村",
]
ABSENT_ON_LEAVE_NOTES = [
    "电话查岗，本人请假外出，经核实请假手续齐全",
    "进村抽查，本人在请假期间，已按规定报备",
]

# (name pattern, kind, weight when choosing a cadre's unit); {c} is the county's name.
COUNTY_UNITS = [
    ("{c}委组织部", Unit.Kind.PARTY_GOVERNMENT, 1),
    ("{c}委宣传部", Unit.Kind.PARTY_GOVERNMENT, 1),
    ("{c}纪委监委", Unit.Kind.PARTY_GOVERNMENT, 1),
    ("{c}财政局", Unit.Kind.PARTY_GOVERNMENT, 3),
    ("{c}农业农村局", Unit.Kind.PARTY_GOVERNMENT, 4),
    ("{c}发展和改革局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}自然资源和规划局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}住房和城乡建设局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}水务局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}交通运输局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}民政局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}人力资源和社会保障局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}卫生健康局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}教育和体育局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}市场监督管理局", Unit.Kind.PARTY_GOVERNMENT, 2),
    ("{c}审计局", Unit.Kind.PARTY_GOVERNMENT, 1),
    ("{c}文化和旅游局", Unit.Kind.PARTY_GOVERNMENT, 1),
    ("{c}供销合作社联合社", Unit.Kind.OTHER, 1),
    ("{c}人民医院", Unit.Kind.PUBLIC_INSTITUTION, 2),
    ("{c}中医医院", Unit.Kind.PUBLIC_INSTITUTION, 1),
    ("{c}农业技术推广中心", Unit.Kind.PUBLIC_INSTITUTION, 2),
    ("{c}融媒体中心", Unit.Kind.PUBLIC_INSTITUTION, 1),
    ("{c}第一中学", Unit.Kind.PUBLIC_INSTITUTION, 1),
    ("国网{c}供电公司", Unit.Kind.STATE_ENTERPRISE, 1),
    ("中国邮政集团有限公司{c}分公司", Unit.Kind.STATE_ENTERPRISE, 1),
    ("中国农业银行{c}支行", Unit.Kind.FINANCIAL, 1),
    ("{c}农村商业银行", Unit.Kind.FINANCIAL, 1),
]
CITY_UNITS = [
    ("{c}财政局", Unit.Kind.PARTY_GOVERNMENT),
    ("{c}农业农村局", Unit.Kind.PARTY_GOVERNMENT),
    ("{c}自然资源和规划局", Unit.Kind.PARTY_GOVERNMENT),
]
PROVINCE_UNITS = [
    ("山东省农业农村厅", Unit.Kind.PARTY_GOVERNMENT),
    ("山东省财政厅", Unit.Kind.PARTY_GOVERNMENT),
    ("山东省农业科学院", Unit.Kind.PUBLIC_INSTITUTION),
    ("山东农业大学", Unit.Kind.UNIVERSITY),
    ("国网山东省电力公司", Unit.Kind.STATE_ENTERPRISE),
]

POSITIONS = {
    Unit.Kind.PARTY_GOVERNMENT: {
        "staff": ["科员", "一级科员"],
        "deputy_section": ["副科长", "二级主任科员"],
        "section": ["科长", "一级主任科员"],
        "deputy_dept": ["副局长", "党组成员、副局长"],
        "dept": ["四级调研员"],
        "other": ["工作人员"],
    },
    Unit.Kind.PUBLIC_INSTITUTION: {
        "staff": ["专业技术人员", "干事"],
        "deputy_section": ["副主任"],
        "section": ["主任", "科室主任"],
        "deputy_dept": ["副院长", "副主任"],
        "dept": ["院长"],
        "other": ["工作人员"],
    },
    Unit.Kind.STATE_ENTERPRISE: {
        "staff": ["职员", "客户经理"],
        "deputy_section": ["副经理"],
        "section": ["部门经理"],
        "deputy_dept": ["副总经理"],
        "dept": ["总经理"],
        "other": ["职员"],
    },
    Unit.Kind.FINANCIAL: {
        "staff": ["客户经理", "职员"],
        "deputy_section": ["副经理"],
        "section": ["部门经理", "网点负责人"],
        "deputy_dept": ["副行长"],
        "dept": ["行长"],
        "other": ["职员"],
    },
    Unit.Kind.UNIVERSITY: {
        "staff": ["讲师", "辅导员"],
        "deputy_section": ["副科长"],
        "section": ["科长", "副教授"],
        "deputy_dept": ["副院长"],
        "dept": ["教授"],
        "other": ["教师"],
    },
    Unit.Kind.OTHER: {
        "staff": ["科员"],
        "deputy_section": ["副科长"],
        "section": ["科长"],
        "deputy_dept": ["副主任"],
        "dept": ["主任"],
        "other": ["工作人员"],
    },
}

FS = Assignment.Role.FIRST_SECRETARY
TM = Assignment.Role.TEAM_MEMBER
PS = Cadre.PoliticalStatus

# username, role, (surname, given name), where: a level of the demo county's tree or the liaison unit
DEMO_USERS = [
    ("province", Role.PROVINCE, ("孙", "立新"), "province"),
    ("city", Role.CITY, ("王", "海燕"), "city"),
    ("county", Role.COUNTY_ADMIN, ("姜", "红梅"), "county"),
    ("clerk", Role.TOWNSHIP_CLERK, ("于", "建国"), "township1"),
    ("clerk2", Role.TOWNSHIP_CLERK, ("宋", "丽娜"), "township2"),
    ("liaison", Role.UNIT_LIAISON, ("刘", "志强"), "unit"),
    ("admin", "", ("", "系统管理员"), None),
]
LIAISON_PHONE = "13853571268"


# --- small pure helpers ----------------------------------------------------------------------


def id_number(area6: str, birth: datetime.date, order3: str) -> str:
    """An 18-character GB 11643 ID: area code, birth date, order code (odd last digit = male), check."""
    first17 = f"{area6}{birth:%Y%m%d}{order3}"
    return first17 + idcard.check_digit(first17)


def person_name(rng: random.Random, gender: str) -> tuple[str, str]:
    """(surname, given name)."""
    chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
    given = rng.choice(chars)
    if rng.random() < 0.65:
        given += rng.choice(chars.replace(given, ""))
    return rng.choice(SURNAMES), given


def phone_number(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def village_name(rng: random.Random) -> str:
    if rng.random() < 0.65:
        return rng.choice(VILLAGE_POSITIONS) + rng.choice(VILLAGE_SURNAMES) + rng.choice(VILLAGE_SUFFIXES)
    stem = rng.choice(VILLAGE_STEMS)
    suffix = rng.choice([s for s in VILLAGE_STEM_SUFFIXES if not stem.endswith(s)])
    return stem + suffix


def village_categories(rng: random.Random) -> tuple[list[str], bool]:
    """Categories drawn like a real county's list, and whether it is a 问题突出 weak village."""
    r = rng.random()
    if r < 0.30:
        cats = ["poverty_exit"]
    elif r < 0.35:
        cats = ["poverty_exit", "weak_org"]
    elif r < 0.55:
        cats = ["revitalization"]
    elif r < 0.58:
        cats = ["revitalization", "weak_org"]
    elif r < 0.68:
        cats = ["weak_org"]
    elif r < 0.73:
        cats = ["other"]
    else:
        cats = []
    prominent = "weak_org" in cats and rng.random() < 0.3
    return cats, prominent


def _chunks(items, size=BATCH_SIZE):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _random_day(rng, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def _during_office_hours(rng, day: datetime.date) -> datetime.datetime:
    """A moment between 8:00 and 18:00 of ``day``."""
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(8, 0)) + datetime.timedelta(minutes=rng.randrange(600))
    )


def _months(today: datetime.date, n: int = ATTENDANCE_MONTHS) -> list[datetime.date]:
    """The first days of the ``n`` months ending with ``today``'s, oldest first."""
    months = [today.replace(day=1)]
    while len(months) < n:
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))
    return months[::-1]


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


# --- plans -------------------------------------------------------------------------------------


@dataclass
class UnitRef:
    region_code: str
    name: str
    level: str
    kind: str

    @property
    def key(self):
        return (self.region_code, self.name)


@dataclass
class Slot:
    """One assignment to plan: who is needed where, from when, and how it ends."""

    village: Village
    role: str
    start: datetime.date
    batch: str
    end: datetime.date | None = None
    end_reason: str = ""
    end_note: str = ""
    unit: UnitRef | None = None
    status: str | None = None  # political status wanted (None: drawn)
    cadre: Cadre | None = None


@dataclass
class CountyPlan:
    code6: str
    name: str
    city4: str
    townships: list = field(default_factory=list)  # [(code12, name)]
    villages: list = field(default_factory=list)
    cadres: list = field(default_factory=list)
    slots: list = field(default_factory=list)
    unit_of: dict = field(default_factory=dict)  # cadre id_number -> UnitRef
    skipped: bool = False

    @property
    def code(self):
        return self.code6 + "000000"


@dataclass
class DemoResult:
    created: dict = field(default_factory=dict)
    counties: list = field(default_factory=list)  # names of the counties built
    skipped: list = field(default_factory=list)  # names of the counties already present


class DemoBuilder:
    """Builds the demo data set; ``build()`` writes the counties in one transaction, then each
    county's attendance, leave and spot checks in a transaction of its own."""

    def __init__(self, seed=1, counties=1, today=None, log=None):
        if counties < 1 or counties > MAX_COUNTIES:
            raise ValueError(f"counties must be between 1 and {MAX_COUNTIES}")
        self.seed = seed
        self.n_counties = counties
        self.today = today or timezone.localdate()
        self.log = log or (lambda message: None)
        year = self.today.year
        # The current batch started in March of last year, so it is serving today whatever the date.
        self.current_start = datetime.date(year - 1, 3, 15)
        self.second_start = datetime.date(year - 1, 9, 1)
        # The earlier batch ended (term completed) two weeks before the current one started.
        self.previous_end = datetime.date(year - 1, 3, 1)
        self.batch_current = f"{year - 1}年第一批"
        self.batch_second = f"{year - 1}年第二批"
        self.batch_replacement = f"{year - 1}年补派"
        self.result = DemoResult()
        self.regions = {}  # code -> Region
        self.unit_ids = {}  # (region code, name) -> id
        self.county_units = {}  # county code6 -> [(UnitRef, weight)]
        self.city_units = {}  # city code4 -> [UnitRef]
        self.province_units = []
        self.policies = []
        self._policy_cache = {}
        self.admin_user = None
        self._calendar = None  # (township code, month) -> MonthCalendar, set by _write_attendance
        # Nothing written is later than the start of today, so a given day and seed give the same rows.
        self.latest = timezone.make_aware(datetime.datetime.combine(self.today, datetime.time(0, 0)))

    # --- the whole build -----------------------------------------------------------------------

    def build(self) -> DemoResult:
        plans = self._county_plans()
        with transaction.atomic():
            self._write_regions(plans)
            self._write_units(plans)
            self._write_policies()
            self._write_users()
            seeded = self._seeded_counties()
            for plan in plans:
                plan.skipped = plan.code6 in seeded
                (self.result.skipped if plan.skipped else self.result.counties).append(plan.name)
            todo = [plan for plan in plans if not plan.skipped]
            self.policies = list(Policy.objects.select_related("region"))
            for plan in todo:
                self._plan_county(plan)
            self._write_villages(todo)
            self._write_cadres(todo)
            self._write_assignments(todo)
        from . import demo_appraisal

        with transaction.atomic():
            demo_appraisal.adjust_mid_year(self, todo)
        self._write_attendance(plans)

        demo_appraisal.seed(self, plans)
        self._write_cadre_logins()
        self._write_checkins()
        from . import demo_fieldwork

        for key, n in demo_fieldwork.seed(self, f"{DEMO_COUNTY[0]}000000").items():
            self._count(key, n)
        from . import demo_supervision

        demo_supervision.seed(self)
        return self.result

    def _write_checkins(self):
        """Check-in (签到) on in the demo township only, its villages' points set (typed, WGS-84), and
        six weeks of the cadre logins' check-ins: mostly near, a few far or vague (flagged), days
        missed (never an absence). Positions past the retention are then deleted, as in production."""
        from fieldwork import checkins
        from fieldwork.models import CheckIn

        township = self.regions.get(f"{DEMO_COUNTY[0]}100000")
        if township is None:
            return
        Policy.objects.update_or_create(region=township, defaults={"checkin_enabled": True})
        rng = self._rng("checkins")
        for n, village in enumerate(Village.objects.filter(township=township, latitude__isnull=True)):
            if n % 5 == 4:
                continue  # a few without a point: their check-ins are flagged and propose one
            lat = checkins._six(36.90 + rng.random() * 0.12)
            lng = checkins._six(120.58 + rng.random() * 0.14)
            checkins.set_point(village, lat, lng, checkins.WGS84)
        accounts = get_user_model().objects.filter(role=Role.CADRE, cadre__isnull=False)
        policy = Policy.effective_for(township)
        made = []
        for user in accounts:
            a = checkins.current_assignment(user.cadre_id, self.today)
            if a is None or CheckIn.objects.filter(assignment=a).exists():
                continue
            v = a.village
            home = (float(v.latitude), float(v.longitude)) if v.latitude is not None else (36.96, 120.65)
            for days_ago in range(42, 0, -1):
                if rng.random() < 0.3:
                    continue
                far = rng.random() < 0.06
                accuracy = 450 if rng.random() < 0.06 else rng.choice([8, 12, 20, 35, 60])
                lat = home[0] + rng.gauss(0, 0.0015) + (0.045 if far else 0)
                lng = home[1] + rng.gauss(0, 0.0015)
                distance = None
                if v.latitude is not None:
                    distance = round(checkins.distance_m(lat, lng, v.latitude, v.longitude))
                at = datetime.datetime.combine(
                    self.today - datetime.timedelta(days=days_ago), datetime.time(8 + rng.randint(0, 9), 10)
                )
                made.append(
                    CheckIn(
                        assignment=a,
                        created_by=user,
                        created_at=timezone.make_aware(at),
                        latitude=checkins._six(lat),
                        longitude=checkins._six(lng),
                        accuracy_m=accuracy,
                        distance_m=distance,
                        flag=checkins.flag_for(distance, accuracy, policy),
                    )
                )
        CheckIn.objects.bulk_create(made)
        checkins.purge_expired()
        self._count("checkins", len(made))

    def _write_cadre_logins(self):
        """Three cadres of the demo township log in themselves (驻村干部本人), by mobile number."""
        from django.contrib.auth import get_user_model

        from fieldwork import provisioning

        User = get_user_model()
        township = self.regions.get(f"{DEMO_COUNTY[0]}100000")
        if township is None:
            return
        serving = (
            Assignment.objects.filter(village__township=township)
            .serving_on(self.today)
            .select_related("cadre")
            .order_by("village__code", "role", "pk")
        )
        password, created = make_password(DEMO_PASSWORD), 0
        existing = User.objects.filter(role=Role.CADRE).count()
        for a in serving:
            if existing + created >= CADRE_LOGINS:
                break
            mobile = provisioning.mobile_of(a.cadre.phone)
            if not mobile or User.objects.filter(Q(username=mobile) | Q(cadre=a.cadre)).exists():
                continue
            User.objects.create(
                username=mobile,
                role=Role.CADRE,
                cadre=a.cadre,
                last_name=a.cadre.name,
                phone=mobile,
                password=password,
            )
            created += 1
        self._count("users", created)

    def _rng(self, *parts) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def _count(self, key, n):
        self.result.created[key] = self.result.created.get(key, 0) + n

    # --- regions -------------------------------------------------------------------------------

    def _county_plans(self):
        counties = [DEMO_COUNTY, *OTHER_COUNTIES[: self.n_counties - 1]]
        plans = []
        for code6, name in counties:
            plan = CountyPlan(code6=code6, name=name, city4=code6[:4])
            if (code6, name) == DEMO_COUNTY:
                plan.townships = [(f"{code6}{n}000", t) for n, t in DEMO_TOWNSHIPS]
            else:
                rng = self._rng("townships", code6)
                count = rng.randint(9, 12)
                stems = rng.sample(TOWNSHIP_STEMS, count)
                plan.townships = [(f"{code6}001000", f"{stems[0]}街道")] + [
                    (f"{code6}{100 + i}000", stem + ("乡" if rng.random() < 0.12 else "镇"))
                    for i, stem in enumerate(stems[1:])
                ]
            plans.append(plan)
        return plans

    def _bulk_regions(self, rows):
        """rows: [(code, name, level, parent code)] → created count; fills self.regions."""
        objs = [
            Region(code=code, name=name, level=level, parent=self.regions.get(parent) if parent else None)
            for code, name, level, parent in rows
        ]
        before = Region.objects.count()
        for chunk in _chunks(objs):
            Region.objects.bulk_create(chunk, ignore_conflicts=True)
        created = Region.objects.count() - before
        codes = [row[0] for row in rows]
        for chunk in _chunks(codes):
            for region in Region.objects.filter(code__in=chunk):
                self.regions[region.code] = region
        return created

    def _write_regions(self, plans):
        created = self._bulk_regions([(PROVINCE_CODE, PROVINCE_NAME, "province", None)])
        city_codes = sorted({plan.city4 for plan in plans})
        created += self._bulk_regions(
            [(f"{c}00000000", CITIES[c], "city", PROVINCE_CODE) for c in city_codes]
        )
        created += self._bulk_regions(
            [(plan.code, plan.name, "county", f"{plan.city4}00000000") for plan in plans]
        )
        created += self._bulk_regions(
            [(code, name, "township", plan.code) for plan in plans for code, name in plan.townships]
        )
        self._count("regions", created)
        self.log(f"regions: {created} new")

    # --- units, policies, users ----------------------------------------------------------------

    def _write_units(self, plans):
        refs = []
        province = [UnitRef(PROVINCE_CODE, name, Level.PROVINCE, kind) for name, kind in PROVINCE_UNITS]
        self.province_units = province
        refs += province
        for city4 in sorted({plan.city4 for plan in plans}):
            code, name = f"{city4}00000000", CITIES[city4]
            units = [UnitRef(code, p.format(c=name), Level.CITY, kind) for p, kind in CITY_UNITS]
            units.append(UnitRef(code, CITY_COLLEGES[city4], Level.CITY, Unit.Kind.UNIVERSITY))
            self.city_units[city4] = units
            refs += units
        for plan in plans:
            units = [
                (UnitRef(plan.code, p.format(c=plan.name), Level.COUNTY, kind), weight)
                for p, kind, weight in COUNTY_UNITS
            ]
            self.county_units[plan.code6] = units
            refs += [ref for ref, _w in units]
        objs = [
            Unit(name=r.name, level=r.level, kind=r.kind, region_id=self.regions[r.region_code].pk)
            for r in refs
        ]
        before = Unit.objects.count()
        for chunk in _chunks(objs):
            Unit.objects.bulk_create(chunk, ignore_conflicts=True)
        self._count("units", Unit.objects.count() - before)
        region_ids = {self.regions[r.region_code].pk for r in refs}
        by_id = {region.pk: code for code, region in self.regions.items()}
        for region_id, name, pk in Unit.objects.filter(region_id__in=region_ids).values_list(
            "region_id", "name", "pk"
        ):
            self.unit_ids[(by_id[region_id], name)] = pk

    def _write_policies(self):
        created = 0
        for code, values in [
            (PROVINCE_CODE, {"days_per_month": 20}),
            (DEMO_COUNTY[0] + "000000", {"max_leave_days_per_year": 30}),
        ]:
            _policy, new = Policy.objects.get_or_create(region=self.regions[code], defaults=values)
            created += new
        self._count("policies", created)

    def _demo_unit_ref(self):
        return UnitRef(
            DEMO_COUNTY[0] + "000000", f"{DEMO_COUNTY[1]}财政局", Level.COUNTY, Unit.Kind.PARTY_GOVERNMENT
        )

    def _write_users(self):
        User = get_user_model()
        county_code = DEMO_COUNTY[0] + "000000"
        places = {
            "province": self.regions[PROVINCE_CODE],
            "city": self.regions[county_code[:4] + "00000000"],
            "county": self.regions[county_code],
            "township1": self.regions[f"{DEMO_COUNTY[0]}100000"],
            "township2": self.regions[f"{DEMO_COUNTY[0]}101000"],
        }
        liaison_unit = self.unit_ids[self._demo_unit_ref().key]
        password = None
        created = 0
        for username, role, (surname, given), where in DEMO_USERS:
            wanted = {
                "role": role,
                "region": places.get(where),
                "unit_id": liaison_unit if where == "unit" else None,
                "last_name": surname,
                "first_name": given,
                "is_superuser": role == "",
                "phone": LIAISON_PHONE if where == "unit" else "",
            }
            user = User.objects.filter(username=username).first()
            if user is None:
                password = password or make_password(DEMO_PASSWORD)
                user = User(username=username, password=password, **wanted)
                user.save()
                created += 1
            elif any(getattr(user, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(user, k, v)
                user.save()
            if role == Role.COUNTY_ADMIN:
                self.admin_user = user
        self._count("users", created)

    def _seeded_counties(self):
        return set(
            Village.objects.annotate(county=Left("code", 6)).values_list("county", flat=True).distinct()
        )

    def _policy_for(self, region_code):
        """The effective policy of a region, as ``Policy.effective_for`` resolves it (without a query)."""
        if region_code not in self._policy_cache:
            region = self.regions[region_code]
            codes = {region.code, *region.ancestor_codes}
            rows = [p for p in self.policies if p.region.code in codes]
            rows.sort(key=lambda p: -len(p.region.prefix))
            self._policy_cache[region_code] = policy_defaults.resolve(rows)
        return self._policy_cache[region_code]

    # --- planning one county -------------------------------------------------------------------

    def _plan_county(self, plan):
        rng = self._rng("county", plan.code6)
        self._plan_villages(plan, rng)
        self._plan_slots(plan, rng)
        self._plan_cadres(plan, rng)

    def _plan_villages(self, plan, rng):
        for township_code, _name in plan.townships:
            names = set()
            for i in range(rng.randint(10, 14)):
                name = village_name(rng)
                while name in names:
                    name = village_name(rng)
                names.add(name)
                cats, prominent = village_categories(rng)
                if "weak_org" in cats:
                    grade = 4 if rng.random() < 0.8 else 3
                else:
                    grade = rng.choices([1, 2, 3, 4], weights=[25, 45, 25, 5])[0]
                population = int(rng.triangular(300, 3000, 900))
                plan.villages.append(
                    Village(
                        code=f"{township_code[:9]}{201 + i:03d}",
                        name=name,
                        township_id=township_code,
                        categories=cats,
                        problem_prominent=prominent,
                        party_org_grade=grade,
                        population=population,
                        households=round(population / rng.uniform(2.5, 3.3)),
                    )
                )

    def _plan_slots(self, plan, rng):
        needing = [v for v in plan.villages if v.requires_first_secretary]
        order = needing[:]
        rng.shuffle(order)
        never = {v.code for v in order[:3]}
        recalled = {v.code for v in order[3:6]}
        team_pool = [v for v in order[6:] if v.requires_team]
        short = {v.code for v in team_pool[:3]}
        adjusted = {v.code for v in team_pool[3:5]}
        forced_unit = 2  # the first first secretaries come from the county's 财政局 (the demo liaison's unit)
        for village in plan.villages:
            policy = self._policy_for(village.township_id)
            if village.code in never:
                continue
            if not village.requires_first_secretary:
                if "other" in village.categories and rng.random() < 0.35:
                    plan.slots.append(Slot(village, FS, self.current_start, self.batch_current))
                continue
            # A few villages were listed later and got their cadres in the second batch.
            second = rng.random() < 0.1 and village.code not in recalled | adjusted
            start, batch = (
                (self.second_start, self.batch_second) if second else (self.current_start, self.batch_current)
            )
            # The earlier batch: many of today's dispatch villages had a first secretary already.
            if not second and rng.random() < 0.55:
                plan.slots.append(
                    Slot(
                        village,
                        FS,
                        # The term that ended on previous_end: it began the day after, term_years before.
                        add_years(self.previous_end + datetime.timedelta(days=1), -policy.term_years),
                        f"{self.previous_end.year - policy.term_years}年第一批",
                        end=self.previous_end,
                        end_reason=Assignment.EndReason.TERM_COMPLETED,
                        end_note="任期届满，考核称职",
                    )
                )
            secretary = Slot(village, FS, start, batch)
            if forced_unit:
                secretary.unit = self._county_unit(plan, "财政局")
                forced_unit -= 1
            else:
                secretary.unit = self._pick_unit(plan, rng)
            if village.code in recalled:
                secretary.end = _random_day(
                    rng, start + datetime.timedelta(days=150), self.today - datetime.timedelta(days=40)
                )
                secretary.end_reason = Assignment.EndReason.RECALLED
                secretary.end_note = rng.choice(RECALL_NOTES)
            plan.slots.append(secretary)
            if not village.requires_team:
                continue
            members = max(policy.team_min_size, 3) - 1
            if policy.team_max_size:
                members = min(members, policy.team_max_size - 1)
            if village.code in short:
                members -= 1
            for m in range(members):
                slot = Slot(village, TM, start, batch)
                slot.unit = secretary.unit if rng.random() < 0.4 else None
                if rng.random() < 0.08:
                    slot.status = rng.choice([PS.LEAGUE, PS.MASSES])
                plan.slots.append(slot)
                if village.code in adjusted and m == 0:
                    slot.end = _random_day(
                        rng, start + datetime.timedelta(days=90), start + datetime.timedelta(days=180)
                    )
                    slot.end_reason = Assignment.EndReason.ADJUSTED
                    slot.end_note = rng.choice(ADJUST_NOTES)
                    later = slot.end + datetime.timedelta(days=rng.randint(20, 45))
                    plan.slots.append(Slot(village, TM, later, self.batch_replacement))

    def _county_unit(self, plan, suffix):
        return next(ref for ref, _w in self.county_units[plan.code6] if ref.name.endswith(suffix))

    def _pick_unit(self, plan, rng):
        r = rng.random()
        if r < 0.08:
            return rng.choice(self.province_units)
        if r < 0.2:
            return rng.choice(self.city_units[plan.city4])
        units = self.county_units[plan.code6]
        return rng.choices([u for u, _w in units], weights=[w for _u, w in units])[0]

    def _plan_cadres(self, plan, rng):
        used_ids = set()
        for slot in plan.slots:
            policy = self._policy_for(slot.village.township_id)
            unit = slot.unit or self._pick_unit(plan, rng)
            slot.unit = unit
            slot.cadre = self._make_cadre(
                plan, rng, used_ids, unit, slot.role, slot.start, policy, slot.status
            )
        # A reserve pool: not dispatched (too old, not yet eligible, or available for a replacement).
        policy = self._policy_for(plan.code)
        for _i in range(rng.randint(40, 50)):
            status = rng.choices(
                [PS.PARTY_MEMBER, PS.PROBATIONARY, PS.LEAGUE, PS.MASSES, PS.DEMOCRATIC],
                weights=[35, 15, 22, 25, 3],
            )[0]
            unit = self._pick_unit(plan, rng)
            self._make_cadre(plan, rng, used_ids, unit, None, self.today, policy, status)

    def _make_cadre(self, plan, rng, used_ids, unit, role, start, policy, status):
        """A cadre of ``unit`` who may take ``role`` from ``start`` under ``policy`` (role None: anyone)."""
        today = self.today
        for _attempt in range(200):
            gender = "M" if rng.random() < (0.8 if role == FS else 0.62) else "F"
            if role == FS:
                age = rng.randint(27, 56)
            elif role == TM:
                age = rng.randint(24, 52)
            else:
                age = rng.choices(
                    [rng.randint(24, 35), rng.randint(36, 57), rng.randint(58, 59)], [45, 45, 10]
                )[0]
            birth = add_years(today, -age) - datetime.timedelta(days=rng.randint(1, 364))
            if not 24 <= years_between(birth, today) <= 59:
                continue
            if role and years_between(birth, start) > policy.max_age:
                continue
            wanted = status or (
                PS.PARTY_MEMBER
                if role == FS
                else rng.choices([PS.PARTY_MEMBER, PS.PROBATIONARY], weights=[92, 8])[0]
            )
            if wanted == PS.LEAGUE and age > 28:
                wanted = PS.MASSES
            education = rng.choices(
                ["doctorate", "master", "bachelor", "college", "secondary"],
                weights=[3 if unit.kind == Unit.Kind.UNIVERSITY else 1, 15, 55, 25, 3 if age > 45 else 1],
            )[0]
            work_age = {"doctorate": 28, "master": 25, "bachelor": 22, "college": 21, "secondary": 19}[
                education
            ]
            work_started = datetime.date(
                birth.year + work_age + rng.randint(0, 2), rng.choice([7, 8, 9]), rng.randint(1, 28)
            )
            if work_started >= today or years_between(birth, work_started) < 18:
                continue
            joined = full_member = None
            if wanted == PS.PARTY_MEMBER:
                latest = today - datetime.timedelta(days=400)
                if role == FS:
                    latest = min(
                        latest, add_years(start, -policy.min_party_years - 1) - datetime.timedelta(days=30)
                    )
                earliest = add_years(birth, 18) + datetime.timedelta(days=1)
                if latest <= earliest:
                    continue
                span = (latest - earliest).days
                joined = earliest + datetime.timedelta(days=int(span * min(rng.random(), rng.random())))
                # 转正 after the usual year of probation; 党龄 counts from it.
                full_member = add_years(joined, 1)
            elif wanted == PS.PROBATIONARY:
                joined = today - datetime.timedelta(days=rng.randint(30, 330))
                if years_between(birth, joined) < 18:
                    continue
            rank = self._rank(rng, age, unit)
            surname, given = person_name(rng, gender)
            # Drawn from the name, not the generator: the rest of the demo stays as it was.
            mark = zlib.crc32(f"{surname}{given}{birth}".encode())
            cadre = Cadre(
                name=surname + given,
                gender=gender,
                birth_date=birth,
                # Shandong is about 99 % 汉族; 回族 and 满族 are the largest others.
                ethnicity="回族" if mark % 100 == 0 else "满族" if mark % 100 == 1 else "汉族",
                full_time=mark % 10 != 9,  # a few keep their unit's duties (不脱产)
                phone=phone_number(rng),
                political_status=wanted,
                party_joined_on=joined,
                party_full_member_on=full_member,
                work_started_on=work_started,
                position=rng.choice(POSITIONS[unit.kind][rank]),
                rank=rank,
                education=education,
                specialty=rng.choice(SPECIALTIES)
                if rng.random() < (0.7 if unit.kind == Unit.Kind.UNIVERSITY else 0.4)
                else "",
                rural_experience=rng.random() < (0.6 if "农" in unit.name else 0.3),
            )
            if role and eligibility_errors(cadre, role, start, policy):
                continue
            while True:
                order = f"{rng.randrange(100):02d}{rng.randrange(1 if gender == 'M' else 0, 10, 2)}"
                number = id_number(plan.code6, birth, order)
                if number not in used_ids:
                    break
            used_ids.add(number)
            cadre.id_number = number
            plan.cadres.append(cadre)
            plan.unit_of[number] = unit
            return cadre
        raise RuntimeError(f"could not draw an eligible cadre for {role} from {start} in {plan.name}")

    @staticmethod
    def _rank(rng, age, unit):
        if unit.kind in (Unit.Kind.STATE_ENTERPRISE, Unit.Kind.FINANCIAL) and rng.random() < 0.3:
            return "other"
        ranks = ["staff", "deputy_section", "section", "deputy_dept", "dept"]
        if age < 30:
            weights = [80, 20, 0, 0, 0]
        elif age < 40:
            weights = [30, 40, 30, 0, 0]
        elif age < 50:
            weights = [15, 25, 45, 15, 0]
        else:
            weights = [10, 20, 45, 20, 5]
        return rng.choices(ranks, weights=weights)[0]

    # --- writing the planned rows ----------------------------------------------------------------

    def _write_villages(self, plans):
        villages = [v for plan in plans for v in plan.villages]
        before = Village.objects.count()
        for chunk in _chunks(villages):
            Village.objects.bulk_create(chunk, ignore_conflicts=True)
        self._count("villages", Village.objects.count() - before)
        self.village_ids = {}
        for chunk in _chunks([v.code for v in villages], 5000):
            self.village_ids.update(Village.objects.filter(code__in=chunk).values_list("code", "pk"))
        self.log(f"villages: {len(villages)} planned")

    def _write_cadres(self, plans):
        cadres = []
        for plan in plans:
            county_id = self.regions[plan.code].pk
            for cadre in plan.cadres:
                cadre.region_id = county_id
                cadre.unit_id = self.unit_ids[plan.unit_of[cadre.id_number].key]
                cadres.append(cadre)
        before = Cadre.objects.count()
        for chunk in _chunks(cadres):
            Cadre.objects.bulk_create(chunk, ignore_conflicts=True)
        self._count("cadres", Cadre.objects.count() - before)
        self.cadre_ids = {}
        for chunk in _chunks([c.id_number for c in cadres], 5000):
            self.cadre_ids.update(Cadre.objects.filter(id_number__in=chunk).values_list("id_number", "pk"))
        self.log(f"cadres: {len(cadres)} planned")

    def _write_assignments(self, plans):
        rows = []
        for plan in plans:
            mentors = self._mentors(plan)
            for slot in plan.slots:
                unit = slot.unit
                liaison = self._liaison(unit)
                mentor_name, mentor_post = mentors[slot.village.township_id]
                rows.append(
                    Assignment(
                        cadre_id=self.cadre_ids[slot.cadre.id_number],
                        village_id=self.village_ids[slot.village.code],
                        role=slot.role,
                        team_leader=slot.role == FS,  # the first secretary leads the work team
                        batch=slot.batch,
                        dispatch_level=unit.level,
                        start_date=slot.start,
                        planned_end_date=term_end(
                            slot.start, self._policy_for(slot.village.township_id).term_years
                        ),
                        end_date=slot.end,
                        end_reason=slot.end_reason,
                        end_note=slot.end_note,
                        mentor_name=mentor_name,
                        mentor_post=mentor_post,
                        liaison_name=liaison[0],
                        liaison_phone=liaison[1],
                        created_by=self.admin_user if plan.code6 == DEMO_COUNTY[0] else None,
                    )
                )

        def key(a):
            return (a.cadre_id, a.village_id, a.start_date)

        created_events = 0
        created = 0
        for chunk in _chunks(rows):
            village_ids = {a.village_id for a in chunk}
            existing = set(
                Assignment.objects.filter(village_id__in=village_ids).values_list(
                    "cadre_id", "village_id", "start_date"
                )
            )
            Assignment.objects.bulk_create(chunk, ignore_conflicts=True)
            ids = {
                (c, v, s): pk
                for c, v, s, pk in Assignment.objects.filter(village_id__in=village_ids).values_list(
                    "cadre_id", "village_id", "start_date", "pk"
                )
            }
            missing = [a for a in chunk if key(a) not in ids]
            if missing:
                raise RuntimeError(f"{len(missing)} planned assignments were refused by the database")
            events = []
            for a in chunk:
                if key(a) in existing:
                    continue
                created += 1
                pk = ids[key(a)]
                events.append(
                    AssignmentEvent(
                        assignment_id=pk,
                        kind=AssignmentEvent.Kind.DISPATCHED,
                        date=a.start_date,
                        new_planned_end=a.planned_end_date,
                        by=a.created_by,
                        at=_at(a.start_date),
                    )
                )
                if a.end_date:
                    recalled = a.end_reason == Assignment.EndReason.RECALLED
                    events.append(
                        AssignmentEvent(
                            assignment_id=pk,
                            kind=AssignmentEvent.Kind.RECALLED if recalled else AssignmentEvent.Kind.ENDED,
                            date=a.end_date,
                            end_reason=a.end_reason,
                            reason=a.end_note,
                            by=a.created_by,
                            at=_at(a.end_date),
                        )
                    )
            AssignmentEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
            created_events += len(events)
        self._count("assignments", created)
        self._count("events", created_events)
        self.log(f"assignments: {len(rows)} planned")

    def _mentors(self, plan):
        """A township leader per township, who mentors the cadres sent there (导师)."""
        mentors = {}
        for code, name in plan.townships:
            rng = self._rng("mentor", code)
            surname, given = person_name(rng, "M" if rng.random() < 0.7 else "F")
            committee = "党工委" if name.endswith("街道") else "党委"
            post = rng.choice([f"{name}{committee}副书记", f"{name}{committee}委员、组织委员"])
            mentors[code] = (surname + given, post)
        return mentors

    def _liaison(self, unit):
        if unit.key == self._demo_unit_ref().key:
            surname, given = DEMO_USERS[5][2]
            return surname + given, LIAISON_PHONE
        rng = self._rng("liaison", *unit.key)
        surname, given = person_name(rng, "M" if rng.random() < 0.5 else "F")
        return surname + given, phone_number(rng)

    # --- attendance, leave and spot checks ----------------------------------------------------------

    def _write_attendance(self, plans):
        """Sheets, rows, leave and spot checks of the last ATTENDANCE_MONTHS months, for every county.

        One transaction per county: each row insert runs three PL/pgSQL exception blocks (pgtrigger's
        ignore check on two triggers, pghistory's context), and in one transaction holding hundreds of
        thousands of them every further insert gets slower (measured: 0.15 ms a row at first, 0.7 ms
        after 24,000 rows); committed per county the cost stays flat. A county's leave, sheets, rows
        and checks are written together, so a county has all of them or none.
        """
        months = _months(self.today)
        first = months[0]
        last = month_bounds(_next_month(months[-1]))[1]  # pending leave reaches into next month
        townships = self._townships(plans)
        codes = [code for county in townships.values() for code in county]
        assignments = self._serving_assignments(codes, first, last)
        clerks = self._clerks(codes)
        self._calendar = self._calendars()
        self._workdays = attendance.work_days_for(codes)
        with_leave = self._counties_with(LeaveRequest)
        with_checks = self._counties_with(SpotCheck)
        existing = set(
            AttendanceSheet.objects.filter(
                township_id__in=[self.regions[code].pk for code in codes], month__gte=first
            ).values_list("township_id", "month")
        )
        new_sheets = 0
        for plan in plans:
            county = assignments.get(plan.code6, [])
            with transaction.atomic():
                if plan.code6 not in with_leave:
                    self._write_leave(plan, county, clerks, first, last)
                leave_dates = attendance.approved_leave_dates([a.pk for a in county], first, last)
                sheets = self._write_sheets(plan.code6, townships[plan.code6], months, clerks, existing)
                behind = self._quarter_short(plan, county)
                previous_rows = self._write_records(sheets, county, leave_dates, behind)
                self._close_sheets(sheets, previous_rows)
                if plan.code6 not in with_checks and county:
                    self._write_spot_checks(plan, county, clerks, leave_dates, first)
            new_sheets += len(sheets)
        if new_sheets:
            # Fresh statistics after a bulk load, so the first pages (discrepancies, the county
            # overview) get sensible plans before autovacuum gets round to it.
            tables = [m._meta.db_table for m in (AttendanceSheet, AttendanceRecord, LeaveRequest, SpotCheck)]
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(tables)}")
        self.log(f"attendance: {new_sheets} new sheets")

    def _townships(self, plans):
        """county code6 -> [township code] as in the database (a county seeded earlier may differ)."""
        wanted = {plan.code6 for plan in plans}
        result = {code6: [] for code6 in wanted}
        for region in Region.objects.townships().filter(parent__code__in=[p.code for p in plans]):
            self.regions.setdefault(region.code, region)
            result[region.code[:6]].append(region.code)
        for county in result.values():
            county.sort()
        return result

    def _serving_assignments(self, township_codes, first, last):
        """county code6 -> the assignments serving at some time in [first, last], in a stable order."""
        by_county = {}
        rows = (
            Assignment.objects.filter(village__township_id__in=township_codes)
            .annotate(
                township_code=F("village__township_id"),
                village_code=F("village__code"),
                id_number=F("cadre__id_number"),
                cadre_name=F("cadre__name"),
            )
            .only("pk", "role", "start_date", "planned_end_date", "end_date", "end_reason")
        )
        for a in rows:
            if attendance.covered_days(a, first, last):
                by_county.setdefault(a.township_code[:6], []).append(a)
        for county in by_county.values():
            # Natural keys, not primary keys: the same draw in any database.
            county.sort(key=lambda a: (a.village_code, a.role, a.id_number, a.start_date))
        return by_county

    def _clerks(self, township_codes):
        """township code -> its clerk (the first by username), where one exists."""
        clerks = {}
        users = (
            get_user_model()
            .objects.filter(role=Role.TOWNSHIP_CLERK, is_active=True, region__code__in=township_codes)
            .select_related("region")
            .order_by("username")
        )
        for user in users:
            clerks.setdefault(user.region.code, user)
        return clerks

    def _recorder(self, clerks, township_code):
        """Who keeps the township's records: its clerk, else the demo county's admin."""
        return clerks.get(township_code) or self.admin_user

    def _clamp(self, moment):
        return min(moment, self.latest - datetime.timedelta(minutes=1))

    @staticmethod
    def _counties_with(model):
        return set(
            model.objects.annotate(county=Left("assignment__village__code", 6))
            .values_list("county", flat=True)
            .distinct()
        )

    # leave

    def _write_leave(self, plan, assignments, clerks, first, last):
        rows = self._plan_leave(plan, assignments, clerks, first, last)
        for chunk in _chunks(rows):
            LeaveRequest.objects.bulk_create(chunk)
        self._count("leave", len(rows))

    def _plan_leave(self, plan, assignments, clerks, first, last):
        """~30 requests over the months: approved (mostly), rejected, cancelled, a few pending."""
        rng = self._rng("leave", plan.code6)
        today = self.today
        day = datetime.timedelta(days=1)
        booked = {}  # assignment pk -> [(start, end)] of the requests drawn
        approved_days = {}
        rows = []

        def free(a, start, end):
            """Neither overlapping nor touching (only rest days between) the cadre's other leave: a
            touching one would make one longer leave, whose tier the demo would have to follow."""
            wd = self._workdays[a.township_code]
            return not any(
                (s <= end and e >= start)
                or (e < start and wd.touching(e, start))
                or (s > end and wd.touching(end, s))
                for s, e in booked.get(a.pk, [])
            )

        def draw(a, length, lo, hi):
            """A free span of ``length`` working days inside the assignment and [lo, hi], starting on a
            working day."""
            wd = self._workdays[a.township_code]
            lo, hi = max(lo, a.start_date), min(hi, a.last_day)
            if (hi - lo).days + 1 < length:
                return None
            start = lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days + 1 - length))
            for _i in range(14):
                if wd.is_working(start):
                    break
                start += day
            end = working_end(wd, start, length)
            return (start, end) if end <= hi and free(a, start, end) else None

        def working_end(wd, start, length):
            """The day ``length`` working days after ``start`` (a working day) ends."""
            end, n = start, 1
            while n < length:
                end += day
                n += wd.is_working(end)
            return end

        def add(a, start, end, state, retroactive=False):
            wd = self._workdays[a.township_code]
            length = wd.count(start, end)
            level = LeaveRequest.level_for(length, self._policy_for(a.township_code), retroactive)
            recorder = self._recorder(clerks, a.township_code)
            decider = recorder if level == LeaveRequest.Level.TOWNSHIP else self.admin_user
            reasons = SHORT_LEAVE_REASONS if length <= 3 else LONG_LEAVE_REASONS
            leave = LeaveRequest(
                assignment_id=a.pk,
                start_date=start,
                end_date=end,
                reason=rng.choice(reasons),
                state=state,
                approval_level=level,
                retroactive=retroactive,
                created_by=recorder,
            )
            if state == LeaveRequest.State.PENDING:
                leave.created_at = self._clamp(_during_office_hours(rng, today - rng.randint(0, 3) * day))
            elif retroactive:  # 补假: asked for a day or two after the first day, decided by the county
                leave.created_at = self._clamp(_during_office_hours(rng, start + rng.randint(1, 2) * day))
                leave.decided_at = self._clamp(
                    leave.created_at + datetime.timedelta(hours=rng.randint(2, 30))
                )
                leave.decided_by = decider
            else:
                ahead = rng.randint(2, 7)
                leave.created_at = self._clamp(_during_office_hours(rng, start - ahead * day))
                leave.decided_at = self._clamp(
                    leave.created_at + datetime.timedelta(hours=rng.randint(1, 24 * (ahead - 1)))
                )
                leave.decided_by = decider
                if state == LeaveRequest.State.REJECTED:
                    leave.decision_note = rng.choice(REJECT_NOTES)
                elif state == LeaveRequest.State.CANCELLED:
                    leave.decided_by, leave.decision_note = recorder, rng.choice(CANCEL_NOTES)
            if state == LeaveRequest.State.APPROVED:
                approved_days[a.pk] = approved_days.get(a.pk, 0) + length
                if end + day <= today:
                    leave.returned_on = end + day  # 销假: back in the village the day after
            # Every request keeps clear of the others, so each one's tier is its own length.
            booked.setdefault(a.pk, []).append((start, end))
            rows.append(leave)
            return leave

        pool = list(assignments)
        cap = self._policy_for(plan.code).max_leave_days_per_year
        if cap and pool:
            # One cadre passes the county's yearly cap (flagged for recall); everyone else stays below it.
            year_first = datetime.date(today.year, 1, 1)
            span_end = min(datetime.date(today.year, 12, 31), max(today - day, year_first + 150 * day))
            candidates = [
                a
                for a in pool
                if a.end_date is None and a.start_date <= year_first and a.last_day >= span_end
            ]
            if candidates:
                a = rng.choice(candidates)
                pool.remove(a)
                total = cap + rng.randint(2, 6)
                k = -(-total // 9)
                lengths = [total // k + (1 if i < total % k else 0) for i in range(k)]
                seg = ((span_end - year_first).days + 1) // k
                wd = self._workdays[a.township_code]
                for i, length in enumerate(lengths):
                    start = year_first + datetime.timedelta(
                        days=i * seg + rng.randint(0, seg - 2 * length - 3)
                    )
                    while not wd.is_working(start):
                        start += day
                    # Long leaves (county tier whatever touches them), far apart: never overlapping.
                    add(a, start, working_end(wd, start, length), LeaveRequest.State.APPROVED)
        limit = min(LEAVE_DAYS_LIMIT, cap) if cap else LEAVE_DAYS_LIMIT
        if not pool:
            return rows

        def place(state, length, lo, hi, tries=60):
            for _attempt in range(tries):
                a = rng.choice(pool)
                if state == LeaveRequest.State.APPROVED and approved_days.get(a.pk, 0) + length > limit:
                    continue
                span = draw(a, length, lo, hi)
                if span:
                    add(a, *span, state)
                    return

        short_length = lambda: rng.randint(1, 3)  # noqa: E731
        long_length = lambda: rng.randint(4, 10)  # noqa: E731
        any_length = lambda: short_length() if rng.random() < 0.6 else long_length()  # noqa: E731
        # Pending, asked before they are taken: at both levels, so both desks have something to decide.
        for length in [short_length(), long_length(), *([any_length()] if rng.random() < 0.5 else [])]:
            place(LeaveRequest.State.PENDING, length, today + day, min(last, today + (20 + length) * day))
        for _i in range(rng.randint(2, 4)):
            place(LeaveRequest.State.REJECTED, any_length(), first, today + 5 * day)
        if rng.random() < 0.5:
            place(LeaveRequest.State.CANCELLED, any_length(), first, today + 5 * day)
        # A 补假 decided by the county, taken and reported back; and a leave that ended more than a
        # working day ago whose return (销假) nobody reported: both show on the leave pages and to-dos.
        for _attempt in range(60):
            a = rng.choice(pool)
            span = draw(a, short_length(), max(first, today - 40 * day), today - 12 * day)
            if span and approved_days.get(a.pk, 0) + self._workdays[a.township_code].count(*span) <= limit:
                add(a, *span, LeaveRequest.State.APPROVED, retroactive=True)
                break
        # The overdue one in a township with a demo clerk, so the clerk's login has it as a to-do.
        with_clerk = [a for a in pool if a.township_code in clerks] or pool
        for _attempt in range(60):
            a = rng.choice(with_clerk)
            span = draw(a, short_length(), max(first, today - 25 * day), today - 6 * day)
            wd = self._workdays[a.township_code]
            if (
                span
                and approved_days.get(a.pk, 0) + wd.count(*span) <= limit
                and wd.next_working_day(span[1]) < today
            ):
                add(a, *span, LeaveRequest.State.APPROVED).returned_on = None
                break
        target = rng.randint(*LEAVE_PER_COUNTY)
        for _i in range(max(0, target - len(rows))):
            # Mostly taken and reported back; a few approved ahead of days still to come.
            place(LeaveRequest.State.APPROVED, any_length(), first, today + 10 * day)
        return rows

    # sheets and rows

    def _write_sheets(self, code6, codes, months, clerks, existing):
        """Create a county's missing (township, month) sheets, open, with their working-day calendar.

        Returns {(township code, month): (sheet, the state it moves to once its rows are in)}.
        """
        previous, current = months[-2], months[-1]
        states = self._previous_month_states(code6, codes, clerks)
        planned = {}
        for code in codes:
            region = self.regions[code]
            for month in months:
                if (region.pk, month) in existing:
                    continue
                if month == current:
                    state = AttendanceSheet.State.OPEN
                elif month == previous:
                    state = states[code]
                else:
                    state = AttendanceSheet.State.APPROVED
                sheet = self._sheet(region, month, state, clerks)
                sheet.calendar = attendance.calendar_mask(self._calendar(code, month))
                planned[(code, month)] = (sheet, state)
        if not planned:
            return planned
        AttendanceSheet.objects.bulk_create(
            [sheet for sheet, _state in planned.values()], ignore_conflicts=True, batch_size=BATCH_SIZE
        )
        ids = {
            (township_id, month): pk
            for pk, township_id, month in AttendanceSheet.objects.filter(
                township_id__in=[self.regions[code].pk for code in codes], month__gte=months[0]
            ).values_list("pk", "township_id", "month")
        }
        for (code, month), (sheet, _state) in planned.items():
            sheet.pk = ids[(self.regions[code].pk, month)]
        self._count("sheets", len(planned))
        return planned

    def _previous_month_states(self, code6, codes, clerks):
        """Last month's sheets: most submitted, two approved, one reopened, perhaps one not yet sent."""
        rng = self._rng("sheet states", code6)
        State = AttendanceSheet.State
        states = dict.fromkeys(codes, State.SUBMITTED)
        order = list(codes)
        rng.shuffle(order)
        # The reopened sheet is a clerk's own where there is one, so the demo login has it to correct.
        order.sort(key=lambda code: (code not in clerks, clerks[code].username if code in clerks else ""))
        for code, state in zip(order, ["reopened", State.APPROVED, State.APPROVED], strict=False):
            states[code] = state
        if len(order) > 4 and rng.random() < 0.5:
            states[order[3]] = State.OPEN
        return states

    def _sheet(self, region, month, state, clerks):
        rng = self._rng("sheet", region.code, f"{month:%Y-%m}")
        recorder = self._recorder(clerks, region.code)
        after = _next_month(month)
        day = datetime.timedelta(days=1)
        sheet = AttendanceSheet(
            township_id=region.pk, month=month, state=AttendanceSheet.State.OPEN, version=1
        )
        if state == AttendanceSheet.State.OPEN:  # still being kept (the current month, or not yet sent)
            sheet.updated_at = self._clamp(_during_office_hours(rng, min(self.today, after - day)))
            sheet.updated_by = recorder
            return sheet
        sheet.submitted_at = self._clamp(_during_office_hours(rng, after + rng.randint(0, 4) * day))
        sheet.submitted_by = recorder
        sheet.updated_at, sheet.updated_by = sheet.submitted_at - datetime.timedelta(minutes=20), recorder
        later = sheet.submitted_at + datetime.timedelta(hours=rng.randint(20, 96))
        if state == AttendanceSheet.State.APPROVED:
            sheet.approved_at, sheet.approved_by = self._clamp(later), self.admin_user
        elif state == "reopened":  # the reason names a row, so it is written once the rows are drawn
            sheet.reopened_at, sheet.reopened_by = self._clamp(later), self.admin_user
        return sheet

    def _calendars(self):
        """A function (township code, month) -> MonthCalendar, as ``attendance.calendar_for`` gives."""
        with_overrides = set(HolidayOverride.objects.values_list("region__code", flat=True).distinct())
        cache = {}

        def calendar(code, month):
            region = self.regions[code]
            if with_overrides & {region.code, *region.ancestor_codes}:
                return attendance.calendar_for(region, month)
            if month not in cache:
                cache[month] = workcalendar.month_calendar(month.year, month.month)
            return cache[month]

        return calendar

    def _quarter_short(self, plan, assignments):
        """In the demo county, one first secretary of the first township who served the whole last
        finished quarter stays well short of the quarterly minimum in it (issue 12: the dashboards'
        "behind the quarterly minimum" sections show someone)."""
        if plan.code6 != DEMO_COUNTY[0]:
            return {}
        q_first, q_last = attendance.last_finished_quarter(self.today)
        township = f"{DEMO_COUNTY[0]}100000"
        for a in assignments:
            if (
                a.township_code == township
                and a.role == Assignment.Role.FIRST_SECRETARY
                and attendance.covered_days(a, q_first, q_last) == (q_last - q_first).days + 1
            ):
                return {a.pk: (q_first, q_last)}
        return {}

    QUARTER_SHORT_DAYS = 15  # a month's days in the village for the cadre short of the quarter (3 × 15 < 50)

    def _write_records(self, sheets, assignments, leave_dates, behind=None):
        """A row per assignment serving in each new sheet's township and month (``serving_in_month``);
        ``behind`` ({assignment id: (first, last)}) marks who is short of a quarter's minimum."""
        by_township = {}
        for a in assignments:
            by_township.setdefault(a.township_code, []).append(a)
        current = self.today.replace(day=1)
        previous_rows = {}  # (code, month) -> [(name, days)] for the reopen reasons
        batch, written = [], 0
        for (code, month), (sheet, state) in sheets.items():
            first, last = month_bounds(month)
            policy = self._policy_for(code)
            cal = self._calendar(code, month)
            # Only the days up to today are kept yet; later days show what a new row starts with.
            kept = self.today.day if month == current else len(cal.days)
            rng = self._rng("attendance", code, f"{month:%Y-%m}")
            for a in by_township.get(code, []):
                if not attendance.covered_days(a, first, last):
                    continue
                required = attendance.required_days(policy, a, month, sheet.calendar)
                days = attendance.default_days(a, cal, leave_dates.get(a.pk, set()), self.today)
                days = self._vary(rng, days, a, month, cal, kept, required, policy.business_counts_as_present)
                if a.pk in (behind or {}) and behind[a.pk][0] <= month <= behind[a.pk][1]:
                    days = self._short_of(days, self.QUARTER_SHORT_DAYS, policy.business_counts_as_present)
                batch.append(
                    AttendanceRecord(
                        sheet_id=sheet.pk,
                        assignment_id=a.pk,
                        days=days,
                        counts_business=policy.business_counts_as_present,
                        required_days=required,
                    )
                )
                if state == "reopened":
                    previous_rows.setdefault((code, month), []).append((a.cadre_name, days))
                if len(batch) >= BATCH_SIZE:
                    AttendanceRecord.objects.bulk_create(batch, ignore_conflicts=True)
                    written, batch = written + len(batch), []
        AttendanceRecord.objects.bulk_create(batch, ignore_conflicts=True)
        # The sheets are new, so no row can have been there already.
        self._count("records", written + len(batch))
        return previous_rows

    @staticmethod
    def _short_of(days, target, counts_business):
        """The row with days in the village beyond ``target`` turned into absences, from the end."""
        codes = list(days)
        present = attendance.in_village_count(days, counts_business)
        for i in reversed(range(len(codes))):
            if present <= target:
                break
            if codes[i] == PRESENT or (codes[i] == BUSINESS and counts_business):
                codes[i] = ABSENT
                present -= 1
        return "".join(codes)

    @staticmethod
    def _vary(rng, days, a, month, cal, kept, required, counts_business):
        """A lived month from the default row: reported business trips and weekends in the village, or
        (for some) absences."""
        codes = list(days)
        # A recalled cadre (长期不在岗, 履职不力) was short in the last months before the recall.
        tail = a.end_reason == Assignment.EndReason.RECALLED and (a.end_date - month).days < 92
        short = tail or rng.random() < SHORT_SHARE
        working = [i for i in range(kept) if codes[i] == PRESENT]
        if working and rng.random() < BUSINESS_SHARE:  # 县里开会、协调项目, reported
            for i in rng.sample(working, min(len(working), rng.choice([1, 1, 2, 2, 3]))):
                codes[i] = BUSINESS
        present = attendance.in_village_count("".join(codes), counts_business)
        if short:
            target = required - (rng.randint(3, 8) if tail else rng.randint(1, 5))
            working = [i for i in range(kept) if codes[i] == PRESENT]
            rng.shuffle(working)
            for i in working[: max(0, present - target)]:
                codes[i] = ABSENT
        else:
            # Months with long holidays have fewer than 20 working days: cadres stay some weekends.
            n = max(0, required - present) + (rng.randint(1, 2) if rng.random() < 0.2 else 0)
            rest = [i for i in range(kept) if codes[i] == REST]
            rng.shuffle(rest)
            rest.sort(key=lambda i: cal.days[i].kind != workcalendar.WEEKEND)  # festivals last
            for i in rest[: min(n, MAX_REST_DAYS_WORKED)]:
                codes[i] = PRESENT
        return "".join(codes)

    def _close_sheets(self, sheets, previous_rows):
        """Move the new sheets to their states now that their rows are in (rows need an open sheet)."""
        State = AttendanceSheet.State
        ids = [sheet.pk for sheet, s in sheets.values() if s == State.SUBMITTED]
        for chunk in _chunks(ids, 5000):
            AttendanceSheet.objects.filter(pk__in=chunk, state=State.OPEN).update(state=State.SUBMITTED)
        # Approved sheets keep the allowance rates in force when they were approved.
        by_rates = {}
        for (code, _month), (sheet, s) in sheets.items():
            if s != State.APPROVED:
                continue
            policy = self._policy_for(code)
            by_rates.setdefault((policy.allowance_per_day, policy.allowance_per_month), []).append(sheet.pk)
        for (per_day, per_month), ids in by_rates.items():
            for chunk in _chunks(ids, 5000):
                AttendanceSheet.objects.filter(pk__in=chunk, state=State.OPEN).update(
                    state=State.APPROVED, allowance_per_day=per_day, allowance_per_month=per_month
                )
        reopened = []
        for key, (sheet, state) in sheets.items():
            if state != "reopened":
                continue
            rng = self._rng("reopen", *key)
            candidates = [
                (name, i + 1)
                for name, days in previous_rows.get(key, [])
                for i, c in enumerate(days)
                if c == PRESENT
            ]
            if candidates:
                name, day = rng.choice(candidates)
                sheet.reopen_reason = rng.choice(REOPEN_REASONS).format(day=day, name=name)
            else:
                sheet.reopen_reason = "本月考勤有误，请核实后更正"
            reopened.append(sheet)
        AttendanceSheet.objects.bulk_update(reopened, ["reopen_reason"], batch_size=500)

    # spot checks

    def _write_spot_checks(self, plan, assignments, clerks, leave_dates, first):
        # The rows as stored (some sheets may be from an earlier run), to check against their codes.
        recorded = {
            (pk, month): days
            for pk, month, days in AttendanceRecord.objects.filter(
                sheet__township__code__startswith=plan.code6, sheet__month__gte=first
            ).values_list("assignment_id", "sheet__month", "days")
        }
        rows = self._plan_spot_checks(plan, assignments, clerks, leave_dates, recorded, first)
        for chunk in _chunks(rows):
            SpotCheck.objects.bulk_create(chunk)
        self._count("spot_checks", len(rows))

    def _plan_spot_checks(self, plan, assignments, clerks, leave_dates, recorded, first):
        """~40 checks, mostly finding the cadre in; a few find them away, on recorded days or on leave."""
        rng = self._rng("checks", plan.code6)
        today = self.today
        span = (today - first).days
        taken = set()
        rows = []

        def code_on(a, date):
            days = recorded.get((a.pk, date.replace(day=1)))
            return days[date.day - 1] if days else None

        def add(a, date, found, method, note):
            taken.add((a.pk, date))
            rows.append(
                SpotCheck(
                    assignment_id=a.pk,
                    date=date,
                    method=method,
                    found_present=found,
                    note=note,
                    checked_by=self._recorder(clerks, a.township_code),
                    created_at=self._clamp(_during_office_hours(rng, date)),
                )
            )

        def recorded_in_village():
            """An assignment and a past day its row records as in village, not on approved leave."""
            for _attempt in range(200):
                a = rng.choice(assignments)
                date = first + datetime.timedelta(days=rng.randint(0, span))
                if (
                    a.is_serving_on(date)
                    and (a.pk, date) not in taken
                    and code_on(a, date) == PRESENT
                    and date not in leave_dates.get(a.pk, ())
                ):
                    return a, date
            return None

        Method = SpotCheck.Method
        total = rng.randint(*SPOT_CHECKS_PER_COUNTY)
        for _i in range(ABSENT_ON_RECORDED_DAYS):  # discrepancies: the sheet says P, the check found nobody
            found = recorded_in_village()
            if found:
                add(*found, False, rng.choice([Method.UNANNOUNCED, Method.PHONE]), rng.choice(ABSENT_NOTES))
        by_pk = {a.pk: a for a in assignments}
        on_leave = sorted(
            (pk, date)
            for pk, dates in leave_dates.items()
            if pk in by_pk
            for date in dates
            if date <= today and by_pk[pk].is_serving_on(date)
        )
        rng.shuffle(on_leave)
        seen = set()
        for pk, date in on_leave:
            if len(seen) == ABSENT_ON_LEAVE:
                break
            if pk in seen:
                continue
            seen.add(pk)
            add(
                by_pk[pk],
                date,
                False,
                rng.choice([Method.PHONE, Method.VISIT]),
                rng.choice(ABSENT_ON_LEAVE_NOTES),
            )
        while len(rows) < total:
            found = recorded_in_village()
            if not found:
                break
            method = rng.choices([Method.PHONE, Method.VISIT, Method.UNANNOUNCED], weights=[45, 35, 20])[0]
            add(*found, True, method, rng.choice(PRESENT_NOTES[method]))
        return rows


# --- reporting ---------------------------------------------------------------------------------


def summary(today=None):
    """Counts across the database, for the command's closing lines."""
    today = today or timezone.localdate()
    cover = coverage.summary(Village.objects.all(), today)
    return {
        "regions": Region.objects.count(),
        "villages": cover["total"],
        "required": cover["required"],
        "units": Unit.objects.count(),
        "cadres": Cadre.objects.count(),
        "serving": Assignment.objects.serving_on(today).count(),
        "uncovered": cover["no_secretary"],
        "recall_gap": cover["recall_gap"],
        "team_short": cover["team_short"],
        **attendance_summary(),
    }


def attendance_summary():
    """Sheets by state, rows (and how many are below the minimum), leave by state, spot checks."""
    sheets = dict(
        AttendanceSheet.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    leave = dict(LeaveRequest.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    checks = SpotCheck.objects.all()
    return {
        "sheets": sum(sheets.values()),
        **{f"sheets_{state}": sheets.get(state, 0) for state in AttendanceSheet.State.values},
        "records": AttendanceRecord.objects.count(),
        "below_minimum": AttendanceRecord.objects.below_minimum().count(),
        "leave": sum(leave.values()),
        **{f"leave_{state}": leave.get(state, 0) for state in LeaveRequest.State.values},
        "spot_checks": checks.count(),
        "discrepancies": leave_rules.discrepancies(checks).count(),
    }


def demo_logins():
    """(username, role label, jurisdiction, password) of the demo users that exist."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in DEMO_USERS])}
    rows = []
    for username, _role, _name, _where in DEMO_USERS:
        user = users.get(username)
        if user is None:
            continue
        if user.is_superuser and not user.role:
            role, place = _("Superuser"), "—"
        else:
            role = str(user.get_role_display())
            place = user.unit.name if user.unit_id else (user.region.name if user.region_id else "—")
        rows.append((username, role, place, DEMO_PASSWORD))
    for user in User.objects.filter(role=Role.CADRE).select_related("cadre").order_by("pk")[:CADRE_LOGINS]:
        rows.append((user.username, str(user.get_role_display()), user.cadre.name, DEMO_PASSWORD))
    return rows
