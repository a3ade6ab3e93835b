"""The source city of the report (Ningbo, written 甬 in the source) as static reference data.

Ten districts and counties, 156 streets and towns, 156 municipal units paired one-to-one with
them (the report's pairings included), their leaders and the report's recipients, plus the
named examples and the wording pools the demo data set draws its cases and visits from.
"""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.reference import Leader, Recipient, Reference

# name -> (administrative code, case-id prefix, e-mail name)
DISTRICTS: dict[str, tuple[str, str, str]] = {
    "海曙区": ("330203", "HS", "haishu"),
    "江北区": ("330205", "JB", "jiangbei"),
    "镇海区": ("330211", "ZH", "zhenhai"),
    "北仑区": ("330206", "BL", "beilun"),
    "鄞州区": ("330212", "YZ", "yinzhou"),
    "奉化区": ("330213", "FH", "fenghua"),
    "余姚市": ("330281", "YY", "yuyao"),
    "慈溪市": ("330282", "CX", "cixi"),
    "宁海县": ("330226", "NH", "ninghai"),
    "象山县": ("330225", "XS", "xiangshan"),
}

TOWNS: dict[str, tuple[str, ...]] = {
    "海曙区": ("南门街道", "江厦街道", "西门街道", "月湖街道", "鼓楼街道", "白云街道", "段塘街道", "望春街道",
              "石碶街道", "集士港镇", "古林镇", "高桥镇", "横街镇", "鄞江镇", "洞桥镇", "章水镇", "龙观乡"),
    "江北区": ("中马街道", "白沙街道", "孔浦街道", "文教街道", "甬江街道", "庄桥街道", "洪塘街道", "慈城镇"),
    "镇海区": ("招宝山街道", "蛟川街道", "骆驼街道", "庄市街道", "贵驷街道", "澥浦镇", "九龙湖镇"),
    "北仑区": ("新碶街道", "小港街道", "大碶街道", "霞浦街道", "柴桥街道", "戚家山街道", "春晓街道", "梅山街道",
              "白峰街道", "大榭街道"),
    # 聚贤街道, 梅墟街道 and 新明街道 lie in the high-tech zone; the demo files them under 鄞州区.
    "鄞州区": ("中河街道", "钟公庙街道", "下应街道", "首南街道", "福明街道", "白鹤街道", "百丈街道", "东胜街道",
              "明楼街道", "东柳街道", "东郊街道", "潘火街道", "梅墟街道", "新明街道", "聚贤街道", "姜山镇",
              "邱隘镇", "五乡镇", "云龙镇", "横溪镇", "塘溪镇", "咸祥镇", "瞻岐镇", "东钱湖镇", "东吴镇"),
    "奉化区": ("锦屏街道", "岳林街道", "江口街道", "西坞街道", "萧王庙街道", "方桥街道", "溪口镇", "莼湖镇",
              "尚田镇", "裘村镇", "大堰镇", "松岙镇"),
    "余姚市": ("凤山街道", "阳明街道", "梨洲街道", "兰江街道", "低塘街道", "朗霞街道", "临山镇", "黄家埠镇",
              "小曹娥镇", "泗门镇", "马渚镇", "牟山镇", "丈亭镇", "三七市镇", "河姆渡镇", "大隐镇", "陆埠镇",
              "梁弄镇", "大岚镇", "四明山镇", "鹿亭乡"),
    "慈溪市": ("浒山街道", "古塘街道", "白沙路街道", "坎墩街道", "宗汉街道", "孙塘街道", "龙山镇", "掌起镇",
              "观海卫镇", "附海镇", "桥头镇", "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇", "崇寿镇",
              "庵东镇", "长河镇", "周巷镇"),
    "宁海县": ("跃龙街道", "桃源街道", "梅林街道", "桥头胡街道", "长街镇", "力洋镇", "一市镇", "岔路镇", "前童镇",
              "黄坛镇", "大佳何镇", "强蛟镇", "西店镇", "深甽镇", "桑洲镇", "胡陈乡", "茶院乡", "越溪乡"),
    "象山县": ("丹东街道", "丹西街道", "爵溪街道", "石浦镇", "西周镇", "鹤浦镇", "贤庠镇", "墙头镇", "泗洲头镇",
              "定塘镇", "涂茨镇", "大徐镇", "新桥镇", "东陈乡", "晓塘乡", "黄避岙乡", "茅洋乡", "高塘岛乡"),
}

# 市直单位及部省属驻甬单位
UNITS: tuple[str, ...] = (
    # party and government
    "市委办公厅", "市人大常委会办公厅", "市政府办公厅", "市政协办公厅", "市纪委市监委机关", "市委组织部",
    "市委宣传部", "市委统战部", "市委政法委", "市委政研室", "市委编办", "市委网信办", "市委台办", "市直机关工委",
    "市委老干部局", "市委党校", "市委党史研究室", "市信访局", "市档案馆", "市发改委", "市经信局", "市教育局",
    "市科技局", "市民宗局", "市公安局", "市民政局", "市司法局", "市财政局", "市人力社保局", "市自然资源规划局",
    "市生态环境局", "市住建局", "市交通局", "市水利局", "市农业农村局", "市商务局", "市文广旅游局", "市卫健委",
    "市退役军人局", "市应急管理局", "市审计局", "市外办", "市国资委", "市市场监管局", "市体育局", "市统计局",
    "市医保局", "市综合执法局", "市机关事务管理局", "市地方金融监管局", "市大数据局", "市口岸办", "市能源局",
    "市服务业局", "市人防办", "市粮食和物资储备局", "市港航管理中心", "市公共资源交易中心", "市住房公积金管理中心",
    "市投资促进中心", "市中级法院", "市检察院",
    # people's organisations
    "市总工会", "团市委", "市妇联", "市科协", "市文联", "市社科联", "市侨联", "市残联", "市红十字会", "市工商联",
    "市贸促会", "市供销社", "市慈善总会",
    # media and state-owned groups
    "市日报报业集团", "市广播电视集团", "市水务环境集团", "市交通投资集团", "市轨道交通集团", "市城建投资集团",
    "市开发投资集团", "市通商集团", "市能源集团", "市工业投资集团", "市文旅集团", "市农商发展集团", "市港口集团",
    "市原水集团", "市公交集团",
    # education
    "市大学", "市卫生职院", "市职业技术学院", "市工程学院", "市财经学院", "市幼儿师范高专", "市城市职业技术学院",
    "市教育学院", "市技师学院",
    # health
    "市大学附属第一医院", "市第一医院", "市第二医院", "市李惠利医院", "市中医院", "市妇女儿童医院", "市康宁医院",
    "市第六医院", "市疾控中心", "市急救中心", "市血液中心", "市眼科医院",
    # ministry and province units in the city (部省属驻甬单位)
    "市税务局", "市海关", "市海事局", "人行市分行", "市金融监管分局", "市气象局", "市烟草专卖局", "市邮政管理局",
    "市消防救援支队", "市通信管理办", "市供电公司", "市电信分公司", "市移动分公司", "市联通分公司", "市邮政分公司",
    "市铁塔分公司", "市石化分公司", "工行市分行", "农行市分行", "中行市分行", "建行市分行", "交行市分行",
    "农发行市分行", "国开行市分行", "人保财险市分公司", "国寿市分公司", "市出入境边防检查站", "市调查队",
    "市国家安全局",
    # public institutions
    "市水文管理中心", "市交警支队", "市公路与运输管理中心", "市机场集团", "市人才服务中心", "市图书馆", "市博物馆",
    "市文化馆", "市科学探索中心", "市救助管理站", "市社会福利院", "市农业科学研究院", "市海洋研究院",
    "市规划设计研究院", "市城市展览馆", "市城乡建设发展中心",
)

# The pairings the source report names, plus a few that fit the report's other examples.
FIXED_PAIRINGS: dict[str, str] = {
    "市经信局": "姜山镇",
    "市能源局": "掌起镇",
    "市综合执法局": "观海卫镇",
    "市发改委": "章水镇",
    "市地方金融监管局": "石浦镇",
    "市卫生职院": "越溪乡",
    "市大学附属第一医院": "霞浦街道",
    "市水务环境集团": "聚贤街道",
    "市总工会": "邱隘镇",
    "市委编办": "龙山镇",
    "市日报报业集团": "东胜街道",
    "市服务业局": "福明街道",
    "市科技局": "梁弄镇",
    "市体育局": "溪口镇",
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
    "钟姜崔谭陆范汪金石戴贾夏邱方侯邹熊孟秦江薛尹段雷史陶贺顾毛郝龚邵万钱严俞应竺屠"
)
GIVEN_NAMES = (
    "建华", "志强", "海峰", "晓东", "伟民", "国平", "立新", "红梅", "丽萍", "文斌", "永康", "振宇", "明辉", "俊杰",
    "雪芳", "卫东", "春华", "晓燕", "国庆", "建国", "宏伟", "向阳", "亚军", "海燕", "剑锋", "玉兰", "志刚", "爱民",
    "继红", "立群", "晓峰", "军", "敏", "磊", "静", "涛", "勇", "斌", "蕾", "骏", "宁", "波", "俊", "浩", "颖",
    "一鸣", "天宇", "思远", "丹", "鹏飞", "忠良", "美华", "素芬", "海军", "利民", "建明", "新华", "国强", "伟",
    "芳", "洁", "明", "晨", "燕", "海波", "文杰", "嘉伟", "旭东", "学军", "世平", "月娥", "凯", "锋", "琳",
)

SHARED_LEADER_NAME = "王建华"
SHARED_LEADER_UNITS = ("市交通局", "市中医院")

# 市领导: each leads key projects and visits with the office that serves it.
CITY_LEADERS: tuple[tuple[str, str, str], ...] = (
    ("沈立新", "市委副书记", "市委办公厅"),
    ("陆海峰", "副市长", "市政府办公厅"),
    ("竺红梅", "市人大常委会副主任", "市人大常委会办公厅"),
    ("应国平", "市政协副主席", "市政协办公厅"),
)


def _chief_title(unit: str) -> str:
    if unit.endswith(("医院", "学院", "职院", "大学", "高专", "党校", "研究院")):
        return "党委书记"
    if unit.endswith("集团"):
        return "党委书记、董事长"
    if unit.endswith(("分行",)):
        return "党委书记、行长"
    if unit.endswith(("公司", "分公司")):
        return "党委书记、总经理"
    if unit.endswith("局"):
        return "党组书记、局长"
    if unit.endswith(("部", "工委")):
        return "部长" if unit.endswith("部") else "书记"
    if unit.endswith("法院"):
        return "院长"
    if unit.endswith("检察院"):
        return "检察长"
    if unit.endswith("海关"):
        return "关长"
    if unit.endswith("支队"):
        return "支队长"
    if unit.endswith(("总工会", "妇联", "科协", "文联", "社科联", "侨联", "残联", "工商联", "贸促会")):
        return "党组书记、主席"
    if unit.startswith("团"):
        return "书记"
    return "党组书记、主任"


_DEPUTY = {
    "局长": "党组成员、副局长", "主任": "党组成员、副主任", "董事长": "党委委员、副总经理", "总经理": "副总经理",
    "行长": "副行长", "主席": "副主席", "部长": "副部长", "书记": "副书记", "院长": "副院长", "检察长": "副检察长",
    "关长": "副关长", "支队长": "副支队长",
}


def _deputy_title(unit: str) -> str:
    role = _chief_title(unit).split("、")[-1]
    if role == "党委书记":
        return "副院长" if unit.endswith(("医院", "学院", "职院", "大学", "研究院")) else "党委副书记"
    return _DEPUTY.get(role, "班子成员")


def _names():
    """Person names in a fixed order, each once (the shared leader name excluded)."""
    seen = {SHARED_LEADER_NAME} | {n for n, _, _ in CITY_LEADERS}
    for i in range(len(SURNAMES) * len(GIVEN_NAMES)):
        name = SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN_NAMES[(i * 11 + i // len(SURNAMES)) % len(GIVEN_NAMES)]
        if name not in seen:
            seen.add(name)
            yield name


def leaders() -> list[Leader]:
    """One chief per unit, a deputy in every fourth unit, and the city leaders.

    Two leaders in different units share a name (SHARED_LEADER_NAME) on purpose: a visit or case
    naming them must be flagged as ambiguous.
    """
    names = _names()
    out: list[Leader] = []
    for idx, unit in enumerate(UNITS):
        chief = SHARED_LEADER_NAME if unit in SHARED_LEADER_UNITS else next(names)
        out.append(Leader(chief, _chief_title(unit), unit))
        if idx % 4 == 1:
            out.append(Leader(next(names), _deputy_title(unit), unit))
    out.extend(Leader(name, title, unit) for name, title, unit in CITY_LEADERS)
    return out


def pairings() -> dict[str, str]:
    """Unit -> town, one-to-one: the fixed pairs, then the other units in order, town by town."""
    taken = set(FIXED_PAIRINGS.values())
    free_towns = [t for towns in TOWNS.values() for t in towns if t not in taken]
    # interleave districts so that neighbouring units are spread over the city
    by_district = [[t for t in towns if t not in taken] for towns in TOWNS.values()]
    order = []
    while any(by_district):
        for towns in by_district:
            if towns:
                order.append(towns.pop(0))
    assert sorted(order) == sorted(free_towns)
    free_units = [u for u in UNITS if u not in FIXED_PAIRINGS]
    return dict(FIXED_PAIRINGS) | dict(zip(free_units, order, strict=True))


def recipients() -> list[Recipient]:
    out = [
        Recipient("市委办公厅综合处", "zonghe@example.gov.cn", "全市"),
        Recipient("市主题教育办", "zhutijiaoyu@example.gov.cn", "全市"),
    ]
    for district, (_, _, mail) in DISTRICTS.items():
        out.append(Recipient(f"{district}联络员", f"{mail}@example.gov.cn", district))
    return out


def demo_reference() -> Reference:
    """The source city's reference data, as the reference workbook would give it."""
    return Reference(
        districts={name: code for name, (code, _, _) in DISTRICTS.items()},
        towns={town: district for district, towns in TOWNS.items() for town in towns},
        units=list(UNITS),
        pairings=pairings(),
        leaders=leaders(),
        recipients=recipients(),
    )


def case_prefix(district: str) -> str:
    return DISTRICTS[district][1]


# --- the report's named examples -------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    """A case and the visit that found it, as the source report tells it."""

    unit: str
    town: str
    title: str
    source: str
    theme: str
    status: str
    progress_note: str
    target: str
    target_type: str
    activity: str
    funds_wan: float | None = None
    responsible_unit: str = ""  # default: the unit itself


EXAMPLES: tuple[Example, ...] = (
    Example("市经信局", "姜山镇", "乐歌股份公司申请智能转型补助金", "企业诉求", "大局所需", "已办结",
            "第一时间帮助企业申请400万元智能转型补助金，联系行业专家上门开展智能化诊断，全周期跟踪、全过程服务",
            "乐歌股份公司", "企业", "走访", 400),
    Example("市能源局", "掌起镇", "掌起镇工业企业用能需求大但用能指标有限", "企业诉求", "大局所需", "取得实质性进展",
            "以掌起镇为试点把脉问诊，通过提能效、增抵扣挖掘节能潜力、拓展用能空间，帮助企业降低用能成本",
            "掌起镇工业企业", "企业", "蹲点调研"),
    Example("市综合执法局", "观海卫镇", "观海卫镇生活垃圾分类源头管理不规范，投放点、归集点需标准化改造", "民生实事", "转型所迫",
            "取得实质性进展",
            "落实30万元推动垃圾投放点、归集点选址及标准化提升改造，全镇42个村社、46个小区分类投放设施逐步规范",
            "观海卫镇村社小区", "社区", "蹲点调研", 30),
    Example("市发改委", "章水镇", "李家坑村水源保护地产业发展受限、农民增收渠道窄", "重点项目", "大局所需",
            "取得实质性进展",
            "谋划推动平坑自然村“共享村落”、中姚村林下经济产业示范园、四明山区域高效农业示范基地等试点项目建设",
            "李家坑村", "村", "蹲点调研"),
    Example("市发改委", "章水镇", "中姚村林下经济产业示范园建设", "重点项目", "大局所需", "推进中",
            "发挥职能部门和区域联动作用，示范园规划方案编制中", "中姚村", "村", "专题调研", 120),
    Example("市地方金融监管局", "石浦镇", "石浦镇海洋渔业企业开渔期前融资需求旺盛但融资困难", "企业诉求", "大局所需", "已办结",
            "组织农行象山支行、象山信用联社等金融机构“一对一”上门对接，推出金融产品、金融服务以及保险保障“组合拳”",
            "石浦镇海洋渔业企业", "企业", "走访"),
    Example("市卫生职院", "越溪乡", "越溪乡乡村养老托育服务供给不足", "民生实事", "民生所盼", "取得实质性进展",
            "启动校地党建共同体建设，开展“博士教授到越溪、义诊又授艺”活动，探索“一老一小”整体解决方案",
            "越溪村", "村", "蹲点调研"),
    Example("市大学附属第一医院", "霞浦街道", "霞浦街道集卡司机常见多发病多、当地医疗服务资源有限", "民生实事", "民生所盼",
            "已办结",
            "医护志愿者加入集卡司机“云网格”，抽调11名主任医师组建医疗专家团队定期上门问诊，与社区卫生服务中心共建",
            "霞浦街道集卡司机", "群众", "下访接访"),
    Example("市水务环境集团", "聚贤街道", "聚贤街道水资源要素保障不足，再生水利用率低", "重点项目", "转型所迫", "推进中",
            "以推动再生水利用为切入点开展解剖式调研，谋划破解区域“口渴”之策", "聚贤街道", "其他", "专题调研"),
    Example("市总工会", "邱隘镇", "邱隘镇中小微企业安全生产意识薄弱、隐患排查不到位", "其他", "治理所困", "取得实质性进展",
            "通过安全宣传、进企帮扶、入企培训引导职工强化安全意识、提升安全生产技能", "邱隘镇中小微企业", "企业",
            "走访"),
    Example("市委编办", "龙山镇", "灵水、伏龙湖工业社区获取“正式身份”难、人员力量短缺", "其他", "治理所困", "已办结",
            "指导出台《慈溪市工业社区规范化建设试点方案》，构建社工岗位员额测算模型", "灵水社区", "社区", "座谈"),
    Example("市日报报业集团", "东胜街道", "泰和社区信息化水平不高，群众获取政策资讯不便", "民生实事", "治理所困", "已办结",
            "升级新甬派客户端，开发上线“东胜之家”模块，实现新闻信息、政策资讯、公共服务资源信息“三到家”",
            "泰和社区", "社区", "座谈"),
    Example("市服务业局", "福明街道", "红星美凯龙等商业综合体经营数据纳统不全", "其他", "转型所迫", "取得实质性进展",
            "以红星美凯龙为试点推广统一核算、统一入库、统一做账、统一纳税“四统一”经验做法", "红星美凯龙", "企业",
            "专题调研"),
    Example("市科技局", "梁弄镇", "梁弄镇科技特派员服务覆盖面不广、农业新技术推广慢", "民生实事", "民生所盼",
            "取得实质性进展", "推行“科技特派员+合作社（公司）+基地+农户”模式，引进推广农业农村适用新技术",
            "梁弄镇农业合作社", "其他", "走访"),
    Example("市体育局", "溪口镇", "溪口镇基层健身指导力量薄弱、健身设施不足", "民生实事", "民生所盼", "推进中",
            "通过问卷调查、座谈交流找准群众健身急难愁盼，推行基层体育委员工作机制", "溪口镇居民", "群众", "座谈"),
)


# --- wording pools for the other cases and visits -------------------------------------------

VILLAGE_STEMS = (
    "东岙", "西岙", "南山", "北渡", "上周", "下陈", "前王", "后洋", "大岭", "小溪", "新桥", "石门", "马岙", "梅岭",
    "桃源", "竹林", "杨家", "徐家", "林家", "金峨", "平山", "溪口", "塘头", "湖塘", "青峰", "龙潭", "凤岙", "双溪",
)
COMMUNITY_STEMS = (
    "和平", "幸福", "锦绣", "翠柏", "望湖", "春晖", "金桥", "明珠", "阳光", "丽园", "文昌", "兴宁", "安居", "梅园",
    "康乐", "新城", "四季", "银杏", "海悦", "江湾",
)
ENTERPRISE_STEMS = (
    "甬兴", "恒昌", "瑞丰", "宏达", "新海", "永信", "华益", "裕隆", "利达", "嘉丰", "天元", "东润", "金润", "明泰",
    "奥凯", "博远", "海晟", "中锐",
)
INDUSTRIES = ("机械", "电器", "模具", "塑业", "纺织", "汽配", "五金", "电子", "水产", "食品", "新材料", "智能装备")

# (source, usual theme) -> title patterns; {village} {community} {enterprise} {town}
CASE_TITLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("重点项目", "大局所需"): (
        "{enterprise}扩建项目用地指标不足", "{town}产业园区配套道路建设滞后", "{village}农旅融合项目审批进度慢",
        "{town}重点工程政策处理推进难", "{town}污水管网提标改造项目资金缺口",
    ),
    ("民生实事", "民生所盼"): (
        "{community}老旧小区加装电梯协调难", "{village}村内道路破损需修缮", "{village}饮用水管网老化漏损",
        "{community}居家养老服务中心场地不足", "{village}农村公交班次少、出行不便", "{community}周边停车位紧缺",
        "{town}中心幼儿园学位紧张", "{community}菜市场环境脏乱需提升",
    ),
    ("企业诉求", "转型所迫"): (
        "{enterprise}融资成本高、贷款难", "{enterprise}智能化改造资金缺口", "{enterprise}用工缺口大、招工难",
        "{enterprise}用能指标紧张", "{enterprise}出口订单下滑需拓展市场", "{enterprise}厂房扩建审批周期长",
    ),
    ("信访事项", "治理所困"): (
        "{village}土地征收补偿信访问题", "{community}物业服务纠纷反复信访", "{village}宅基地审批历史遗留问题",
        "{community}群租房消防安全隐患投诉", "{village}养殖场异味扰民信访",
    ),
    ("其他", "治理所困"): (
        "{village}河道保洁长效机制不健全", "{town}垃圾分类设施不足", "{village}村级集体经济增收难",
        "{community}网格员力量不足", "{village}农房安全隐患排查整治",
    ),
}

DISTRICT_BUREAUS: dict[str, tuple[str, ...]] = {
    "重点项目": ("发改局", "住建局", "自然资源和规划分局"),
    "民生实事": ("住建局", "交通运输局", "民政局", "教育局", "农业农村局"),
    "企业诉求": ("经信局", "商务局", "人力社保局"),
    "信访事项": ("信访局", "司法局", "住建局"),
    "其他": ("综合执法局", "农业农村局", "应急管理局"),
}

PROGRESS_NOTES: dict[str, tuple[str, ...]] = {
    "未启动": ("已登记备案，待制定解决方案", "已列入督办清单，近期启动", "已明确责任单位，待现场踏勘"),
    "推进中": ("已召开专题协调会，明确解决路径", "正在开展现场踏勘和方案论证", "已对接相关部门，正在推进",
             "方案已报审，等待批复"),
    "取得实质性进展": ("解决方案已确定，资金已落实，正在实施", "工程已开工，完成约六成", "已完成阶段性任务，群众初步认可",
                "主要矛盾已化解，正在完善配套"),
    "已办结": ("已办结并完成回访，群众满意", "已整改到位，对账销号", "问题已解决，已建立长效机制"),
}

VISIT_NOTES = ("召开座谈会听取意见", "实地查看并现场协调", "入户走访了解诉求", "与企业负责人面对面交流", "")
