"""Answers: from a question to the clause(s) that answer it, quoted, located, with 责任单位.

``QA.ask`` is the one entry point the CLI and the bot call. Its result is an ``Answer``
(``bot.core.replies``), whose ``asdict`` is the JSON contract of ``niangjia ask --json``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import replace
from functools import cached_property

import numpy as np

from bot.core.decline import DeclineModel, Evidence, quantity_unstated, ruling_unstated
from bot.core.documents import (
    Clause,
    ClauseRef,
    Document,
    heading_forms,
    names_heading,
    number_key,
    place_of,
    section_names,
    top_heading,
)
from bot.core.intents import (
    GENERIC_UNIT_CHARS,
    LEVEL_BEFORE,
    WHO_RE,
    DepartmentDirectory,
    Intent,
    level_docs,
    normalise_query,
    parse_intent,
    resolve_clause_number,
    resolve_part,
)
from bot.core.replies import Answer, Hit, relead, reply
from bot.core.retriever import TUNING_FILE, Retriever, ScoredClause
from bot.core.tokens import sounds_alike

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
HAS_CJK = re.compile(r"[\u3400-\u9fff]")
# A quote is the answering sentence, with the next one when it is shorter than this; the
# decline model reads a wider window (what it was fitted on: a sentence under 40 characters
# with the next), so whether a quantity is stated does not turn on the display.
QUOTE_JOIN_BELOW = 16
EVIDENCE_JOIN_BELOW = 40
NEAREST_TOPICS = 3  # clauses a decline names its nearest topics from (by title)
# The first clauses the decline evidence reads, and how many more are searched for the first
# clause's counterpart.
EVIDENCE_DEPTH = 3
COUNTERPART_DEPTH = 5
QUOTED_AT_MOST = 3  # clauses an answer quotes in full; more are listed one a line
CLOSE_SECOND = 0.9  # share of the first clause's fused score at which the second is quoted too
ASK_SOMETHING = "请输入您想问的问题，例如：单位有没有哺乳室？"
# A message of nothing but question words and filler (单位, 有没有): what is it about?
ASK_MORE = "您想问哪方面的事？说得具体一点，娘家人帮您查。例如：单位有没有哺乳室？"
# What is left of 那湖北的呢 once the document's name is gone.
BARE_FRAME = re.compile(r"^(那么?|还有|那个)\s*|\s*的?(呢|吧|啊|呀)?$")
# A worker telling of her own trouble (我/俺/咱 and a hardship) is answered as a person first:
# where to turn, then what the documents say. General language only, no document's wording.
FIRST_PERSON = re.compile(r"[我俺咱]")
# Hardships that happened (辞退, 拖欠), as against a feeling: 我们厂把怀孕的姐妹辞退了 is
# hers to tell, 我们单位很多女职工反映心里难受 is a cadre's question.
EVENT = re.compile(
    r"不批|辞退|开除|解雇|炒了我|降薪|扣钱|扣工资|拖欠|欠薪|不给结|不发工资|欺负|骚扰"
)
# How she feels or what was done to her (心里好难受, 被主管骂哭了, 被同事欺负): hers even
# without 我, as Chinese leaves the subject out, unless someone else is named.
FEELING = re.compile(
    r"委屈|崩溃|受不了|扛不住|熬不住|难受|心累|掉眼泪|哭|没人理解|好苦|撑不下去|撑不住|绝望|伤心|"
    r"难过|憋屈|被[^，,。？?！!\s]{0,4}(骂|欺负)"
)
# Words of a hardship suffered, not of a rule asked about (不管是…, 会不会不发 are questions):
# the events and feelings above, and strain that is neither.
HARDSHIP = re.compile(
    rf"{EVENT.pattern}|{FEELING.pattern}|"
    r"没人管|没人带|吃不消|太累|好累|累死|累垮|焦虑|失眠|没人帮我|压力(好|太|很|特别)大|害怕|不敢说"
)
# The asker speaks as a cadre, or of the reading: no trouble of her own.
AS_A_CADRE = re.compile(r"工会干部|作为工会|我是工会|我们(县|市|区|省)?总工会|我们工会")
READING_IS_HARD = re.compile(r"(看|读|听)不(懂|明白)|太难懂|好难懂|看得?我?头(疼|大)")
HARD_TO_READ = (
    "抱歉，文件的原话比较书面。您可以直接问想知道的事，比如“单位有没有哺乳室”，我把相关的那一句"
    "找出来；看到一条后，也可以说“说简单点”。着急的话可以拨打职工服务热线 12351。"
)
# A policy on harassment asked (预防性骚扰的制度, 工会怎么防治性骚扰): the rule, not help.
HARASSMENT_POLICY = re.compile(
    r"预防|防治|防范|制度|机制|怎么开展|如何开展|培训|宣传|文件|规定|条款"
)

# Harassment told as done to her (我被…, 骚扰我, 要我陪…): hers, however it is asked.
HARASSED_HERSELF = re.compile(
    r"[我俺咱][^，,。？?！!]{0,4}(被|遭)|(骚扰|摸|蹭)(我|俺)|(要|逼|让|叫)(我|俺)"
)
# Others named as the ones harassed (not 他, who is as often the one doing it).
HARASSMENT_OTHERS = re.compile(r"女职工|职工|员工|女工|会员|姐妹|大家")


def cadre_on_harassment(question: str) -> bool:
    """A question about harassment asked as policy, or about others (预防性骚扰的制度, 有女职工
    被性骚扰，工会怎么办): the rule, not what she should do."""
    return bool(HARASSMENT_POLICY.search(question) or HARASSMENT_OTHERS.search(question))


# Workers named as such (女职工, 员工 …): someone other than the asker.
WORKERS = "女职工|职工|员工|女工|工人|会员"
# Someone other than the asker named: a question about others (女职工受了委屈找谁) or a rule.
OTHERS = re.compile(rf"{WORKERS}|她|他|别人|姐妹|孕妇|妈妈们|大家")
# A hardship suffered, told without 我 (怀孕了被公司辞退咋办: the subject left out, as it often
# is) and asking what to do: hers, unless someone else is named as the one it befell.
SUFFERED = re.compile(
    r"被[^，,。？?！!\s]{0,4}(辞退|开除|解雇|裁员|裁掉|裁了|炒了|炒鱿鱼|降薪|降工资|扣钱|扣工资|欠薪)"
)
ASKS_WHAT_TO_DO = re.compile(r"咋办|怎么办|咋整|怎么弄|该咋|找谁|谁能帮|帮帮")
SOMEONE_ELSE = re.compile(rf"({WORKERS}|她|他|同事|别人)[^，,。？?！!\s]{{0,4}}被")
# Violence against the asker: the way to help comes before anything the documents say.
DANGER = re.compile(
    r"家暴|家庭暴力|被[^，,。？?！!\s]{0,3}打(?![卡杂造针电\d疫])|打了我|打我(?!们)|殴打|动手打|"
    r"性侵|强奸|人身威胁|要杀"
)
SAFETY = (
    "如果正面临人身危险，请立即拨打 110；遭受家庭暴力，也可以拨打妇女维权公益服务热线 12338，"
    "或找单位工会、当地妇联求助。"
)
# Thoughts of ending one's life: a person first, and where to reach one now; no rule, no
# "cannot answer".
CRISIS = re.compile(
    r"不想活|活不下去|想死(?![你您他她])(?![了啦]?([😂🤣]|哈))|寻死|轻生|自杀|自尽|了结自己"
    r"|结束(自己的)?生命|活着(真)?没(意思|劲)|跳楼(?!价)|(想|要)从楼上跳|从楼上跳下?去|割腕"
    r"|(想|真想|不如|干脆)一了百了|(吃|吞)了?(一瓶|整瓶|很多|好多|一把)安眠药"
    r"|(买|攒|囤|存)(了(很多|一堆|好多|一些|一瓶)?|(很多|一堆|好多|一瓶))安眠药"
    r"|(?<![干做])活够了|不想再活(?![动跃])|(不如|还不如|干脆)死了?算了"
    r"|(?<![累烦气笑热冷饿困])死了算了"
)
CRISIS_CARE = (
    "娘家人很担心您。您现在的感受很重要，请不要一个人扛着：马上拨打心理援助热线 12356"
    "（全国统一，随时可以打），或者告诉身边信任的人；如果有危险，请立即拨打 120 或 110。"
)
CRISIS_MORE = "等您愿意的时候，也可以找单位工会（女职工委员会）说一说，或拨打职工服务热线 12351。"
# Sexual harassment: what to do first, then what the documents say.
HARASSMENT = re.compile(
    r"性骚扰|动手动脚|咸猪手|揩油|猥亵|偷拍|黄段子|荤段子|开黄腔|黄色笑话|摸屁股|暧昧|露骨|色眯眯|"
    # said plainly, and harassment only where nothing says it is a call, an advert or a doctor
    r"^(?!.*(电话|短信|信息|推销|广告|催收|检查|筛查|医生|按摩))"
    r"(?:.*(骚扰(我|俺|女)|被[^，,。？?！!\s]{0,4}(骚扰|摸)|摸过?(我|俺)的?(屁股|胸|大腿|腰|手|脸)"
    r"|蹭(我|俺)(?!的?(饭|车|卡|网))|(要|逼|让|叫)(我|俺)陪[^，,。？?！!\s]{0,6}(酒店|宾馆|开房)|开房"
    r"|(?<!上)下流(?!动)))"
)
HARASSMENT_HELP = (
    "遇到性骚扰，不是您的错。可以先保留证据（聊天记录、录音、证人），"
    "向单位工会女职工委员会或妇联反映，也可以拨打 12351、12338；情况严重请报警（110）。"
)
OUTSIDE = (
    "这个问题我答不上来：我是娘家人，只能回答工会女职工工作文件里的问题，"
    "比如哺乳室、托育服务、女职工权益保护，或者某项工作由哪个部门负责。"
    "工资、假期这类具体待遇，可以咨询单位工会或拨打职工服务热线 12351。"
)
HEARD_OPENING = "您说的难处，娘家人听到了。"


# The hotlines the answers name, and what each is, for 12351是什么.
HOTLINES = {
    "12351": "12351 是全国总工会的职工服务热线：劳动权益、法律援助、心理疏导，都可以打过去问。",
    "12338": "12338 是全国妇联的妇女维权公益服务热线：遇到家庭暴力、婚姻家庭纠纷等，可以求助。",
    "12356": "12356 是全国统一的心理援助热线：心里难受、扛不住的时候，随时可以打。",
    "12333": "12333 是人力资源和社会保障部门的咨询热线：劳动合同、工资、社保的政策都可以问。",
}
HOTLINE_ASKED = re.compile(
    r"(那|还有)?(?P<line>12351|12338|12356|12333)(热线|电话)?((是|是个)?"
    r"(什么|啥|干什么的|干嘛的|干什么用的?|哪里的|管什么的?)(电话|热线)?|呢)?(呀|啊)?[？?。]*"
)
# 找谁, 有人管吗 said alone: where she can turn when she told of trouble or nothing was asked
# before; after a clause, who is responsible for it.
TURN_OR_WHO = re.compile(
    r"(那)?(找谁|找哪个|揾边个|有(没有)?人管[吗么]?|有没有人管)(呢|啊|呀)?[？?。！!]*"
)
# Asking where to turn herself (我该找谁, 俺去找谁), not which department is responsible.
TURN_TO = re.compile(r"[我俺咱](们)?(该|应该|要|能|可以)?(去)?(找谁|找哪里|去哪里|去哪儿|找哪儿)")
# ... in so many words, and nothing else (我该怎么办, 有没有电话可以打, 我该找谁).
ASKS_WHERE_TO_TURN = re.compile(
    r"(那)?(([我俺咱](们)?)?(该|应该|要|能|可以)?(怎么办|咋办|咋整|咋弄|怎么弄)(才好)?"
    r"|(有没有|有|给个|留个)(什么)?(热线)?(电话|热线)(可以打)?"
    r"|(打|拨)(什么|哪个|啥)(电话|热线)"
    r"|找谁好使|(找谁|向谁|去哪儿?|到哪儿?)投诉|(能|可以)投诉[吗么]"
    rf"|(?:{TURN_TO.pattern})(帮忙|求助|反映|投诉|说理)?)"
    r"(呢|吗|啊|呀|嘛)?[？?。！!]*"
)
WHERE_TO_TURN = (
    "可以先找单位工会（女职工委员会）反映，也可以拨打职工服务热线 12351，工会的工作人员会帮您。"
    "涉及劳动合同、工资、社保的争议，还可以拨打 12333 咨询，"
    "或向当地劳动人事争议仲裁委员会申请仲裁。"
)
TURN_TO_LEAD = "可以先找单位工会（女职工委员会）反映，也可以拨打职工服务热线 12351。"
# A ruling on her case asked (合法吗, 算不算工伤, 能不能拒绝, 扣不扣钱, 去哪办) and the clause found
# rules nothing: said before the rule, so that the rule is not read as the ruling.
RULING_NOT_GIVEN = (
    "{docs}讲的是工会要做的工作，没有对个人的具体情况作判定（合不合法、算不算、能不能拒绝、"
    "怎么办理）。"
)
RULING_WHERE = (
    "这类问题可以咨询单位工会或拨打职工服务热线 12351；涉及劳动合同、工资、社保的，"
    "也可以拨打 12333。"
)
HEARD = HEARD_OPENING + "遇到具体的事，" + TURN_TO_LEAD
# She has no unit, or no union where she works (没单位, 厂里没工会, 打零工, 跑外卖, 做家政): the
# union of her unit is no place to turn; the union where she lives or works is.
NO_UNIT_RE = re.compile(
    r"没(有|个|得)?(工作)?单位|(单位|厂|公司|店|村|社区|园区)(里|上)?(也)?(没有|没得|没|冇)(建|成立)?工会"
    r"|自由职业|打零工|灵活就业|个体户|跑(外卖|滴滴|网约车|快递|单)|送外卖|外卖(骑手|小哥|员)|骑手"
    r"|开网约车|网约车司机|做家政|家政(工|阿姨|服务员)|当?保姆|月嫂|育儿嫂|钟点工"
)
UNIT_UNION_RE = re.compile(r"(本)?单位(的)?工会(（女职工委员会）|女职工委员会)?")
LOCAL_UNION = "所在乡镇（街道）、社区或行业的工会"


def without_unit(answer: Answer, query: str | None = None) -> Answer:
    """The answer for someone with no unit or no union at work: where it says to turn to the
    union of her unit, the union where she lives or works instead."""
    if not UNIT_UNION_RE.search(answer.lead):
        return answer
    return relead(answer, UNIT_UNION_RE.sub(LOCAL_UNION, answer.lead), query)


# How she feels told, and nothing the documents speak of (心里好难受, 被主管骂哭了).
FEELINGS_HEARD = (
    HEARD_OPENING + "心里难受的时候，可以拨打心理援助热线 12356（随时可以打）；遇到具体的难处，"
    "可以找单位工会（女职工委员会）反映，或拨打职工服务热线 12351。您愿意的话，跟我说说发生了什么。"
)
# A question asking for the items of something (包括哪几项, 有哪些, 几条).
ASKS_LIST = re.compile(
    r"(包括|包含|分为|有|是)(哪几|哪些|几)(项|条|个方面|方面|部分|内容|原则|措施|任务)?"
    r"|哪几(项|条|个方面)|都有(什么|啥|哪些)"
)


# A question asking what a named document holds, and nothing more (有几条, 一共有几项, 有哪些内容).
ASKS_OUTLINE = re.compile(
    r"(的)?((一共|总共|共|都|主要)?(有|包括|分|分为)?(几|多少|哪些|什么|哪几)"
    r"(条|项|部分|方面|块)?(内容|条款|任务)?"
    r"|(主要)?(内容|讲了?|说了?|写了?)(是|有)?(什么|啥|哪些)?|(大概|简单)?(概括|介绍)(一下)?)"
    r"(呢|吗|啊)?[？?。！!\s]*"
)


def is_list(text: str) -> bool:
    """A clause that is a list of items (——坚持…, or （一）… （二）… inside it)."""
    return (
        text.count("——") >= 3
        or len(re.findall(r"[（(][一二三四五六七八九十\d]{1,3}[)）]", text)) >= 3
    )


# Words of harassment that a typo must not hide (被领导性骚饶了: 饶 for 扰). Not 家暴 (我家宝宝),
# 轻生 (轻声) or 寻死 (寻思): their homophones are everyday words.
HARASSMENT_WORDS = ("性骚扰", "骚扰", "猥亵", "性侵")
HARASSMENT_CHARS = frozenset("".join(HARASSMENT_WORDS))


def respell_harassment(question: str) -> str:
    """The question with a word of harassment mistyped by one character that sounds the same
    (骚饶, 性搔扰) written as it is meant."""
    at: dict[str, list[int]] = {}
    for p, ch in enumerate(question):
        if ch in HARASSMENT_CHARS:
            at.setdefault(ch, []).append(p)
    for word in HARASSMENT_WORDS:
        n = len(word)
        # A one-character typo keeps the word's other characters: only windows holding one
        # of them where the word has it are read.
        starts = {p - k for k, w in enumerate(word) for p in at.get(w, ())}
        for i in sorted(x for x in starts if 0 <= x <= len(question) - n):
            window = question[i : i + n]
            differ = [(a, b) for a, b in zip(window, word, strict=True) if a != b]
            if len(differ) == 1 and sounds_alike(*differ[0]):
                question = question[:i] + word + question[i + n :]
    return question


def personal_trouble(question: str) -> bool:
    """The question tells of the asker's own hardship (我…不批, 俺…扛不住), of violence or
    harassment, or of thoughts of ending her life; not of a rule."""
    question = respell_harassment(question)
    if DANGER.search(question) or CRISIS.search(question):
        return True
    if AS_A_CADRE.search(question) or READING_IS_HARD.search(question):
        return False  # 作为工会干部我该怎么做; 这文件读得我好难受，看不懂
    if HARASSMENT.search(question):
        told = bool(re.search(r"[我俺咱被]", question)) and not cadre_on_harassment(question)
        return told or bool(HARASSED_HERSELF.search(question))
    if FIRST_PERSON.search(question) and HARDSHIP.search(question):
        # 我们单位很多女职工反映心里难受: others' feelings, told by a cadre
        return not (OTHERS.search(question) and not EVENT.search(question))
    if FEELING.search(question) and not OTHERS.search(question):
        return not SOMEONE_ELSE.search(question)  # 被同事欺负 is hers, 同事被骂了 is not
    return bool(
        SUFFERED.search(question)
        and ASKS_WHAT_TO_DO.search(question)
        and not SOMEONE_ELSE.search(question)
    )


class QA:
    """Question answering over a built retriever."""

    def __init__(self, retriever: Retriever, decline: DeclineModel | None = None) -> None:
        self.retriever = retriever
        self.docs: list[Document] = retriever.docs
        self.by_code = {d.code: d for d in self.docs}
        self.departments = DepartmentDirectory(self.docs)
        if decline is None:
            decline = DeclineModel.load(TUNING_FILE)
            if not decline.fits(retriever.encoder.name):
                log.warning(
                    "the decline model was fitted with %s, not %s: only questions asking for a "
                    "quantity the clauses do not state are declined; run `niangjia tune … "
                    "--write` to fit one for this model",
                    decline.model,
                    retriever.encoder.name,
                )
                decline = DeclineModel.quantity_only()
        self.decline = decline

    @property
    def ruling_not_given(self) -> str:
        """That the documents rule on no one's case (合不合法, 算不算 …)."""
        return RULING_NOT_GIVEN.format(docs="这两份文件" if len(self.docs) == 2 else "文件")

    @cached_property
    def untitled_duties(self) -> set[str]:
        """Titles of the clauses that name no 责任单位, nor does their counterpart: a
        who-question naming one is answered that it names none, not with another clause's."""
        out = set()
        for clause in self.retriever.clauses:
            partner = self.clause_of(clause.parallel) if clause.parallel else None
            if not clause.departments and not (partner and partner.departments):
                out.add(clause.title)
        return out

    @property
    def index_version(self) -> str:
        """When the index answering now was built (it changes with every rebuild)."""
        manifest = self.retriever.manifest
        return manifest.built_at if manifest else ""

    # ------------------------------------------------------------------ helpers

    def clause_of(self, ref: ClauseRef) -> Clause | None:
        doc = self.by_code.get(ref.doc_code)
        if doc is None:
            return None
        return next(
            (c for c in doc.clauses if c.number == ref.number and c.title == ref.title), None
        )

    def doc_name(self, code: str) -> str:
        doc = self.by_code.get(code)
        return doc.short_name if doc else code

    def quote(self, clause: Clause, best: int | None, join_below: int = QUOTE_JOIN_BELOW) -> str:
        """The sentence that answers, verbatim, and the next one when it is a mere fragment
        (shorter than ``join_below``): 扩大宫颈癌、乳腺癌筛查… stands alone, not joined to the
        婚恋交友 sentence after it."""
        sentences = clause.sentences
        if not sentences:
            return ""
        body = [i for i, s in enumerate(sentences) if s.rstrip("。；") != clause.title] or [0]
        first = best if best is not None and best in body else body[0]
        quote = sentences[first]
        nxt = first + 1
        if len(quote) < join_below and nxt < len(sentences):
            quote += sentences[nxt]
        return quote

    def hit(self, clause: Clause, score: float = 1.0, best: int | None = None) -> Hit:
        doc = self.by_code[clause.doc_code]
        return Hit(
            doc_code=clause.doc_code,
            doc_title=doc.title,
            number=clause.number,
            title=clause.title,
            place=clause.place,
            quote=self.quote(clause, best),
            text=clause.text,
            departments=list(clause.departments),
            parallel=clause.parallel,
            score=round(float(score), 4),
            sentence=best or 0,
        )

    def place(self, doc_code: str, number: str, title: str) -> str:
        """全总意见 第（八）条「加强工会女职工组织机构建设」"""
        return place_of(self.doc_name(doc_code), number, title)

    def topical(self, q: str) -> bool:
        """The question holds a word the documents speak of (a distinctive word of theirs, or a
        synonym or mended spelling of one): 红烧肉 and 天气 hold none."""
        return bool(self.retriever.key_words(q) or self.retriever.tokenizer.expand(q))

    def nearest_topics(self, hits: list[ScoredClause]) -> str:
        titles: list[str] = []
        for h in hits:
            if h.clause.title not in titles and h.clause.number:
                titles.append(h.clause.title)
        return "、".join(titles[:3])

    # ------------------------------------------------------------------ entry point

    def ask(self, text: str, k: int = 3, method: str = "hybrid") -> Answer:
        """Answer one question. Never raises on bad input: it says what is wrong instead."""
        raw = text if isinstance(text, str) else ""
        q = normalise_query(raw)
        answer = self._ask(raw, q, k, method)
        if NO_UNIT_RE.search(q):
            answer = without_unit(answer)  # 没单位: the union where she is, not her unit's
        return answer

    def _ask(self, raw: str, q: str, k: int, method: str) -> Answer:
        """``ask`` for the message as sent (``raw``) and as normalised (``q``)."""
        if not q:
            return reply(raw, "search", False, ASK_SOMETHING, view="none")
        note = ""
        if len(q) > MAX_QUERY_CHARS:
            q = q[:MAX_QUERY_CHARS]
            note = f"（问题较长，只按前 {MAX_QUERY_CHARS} 个字查找。）"
        q = respell_harassment(q)  # 被领导性骚饶了: help for harassment is not lost to a typo
        hotline = HOTLINE_ASKED.fullmatch(q)
        if hotline:  # 12351是什么, 那12338呢, 12356: said plainly, not declined with the number
            return reply(raw, "search", True, HOTLINES[hotline["line"]], view="none")
        if not HAS_CJK.search(q) or (len(q) >= 20 and len(set(q)) <= 3):  # 我我我我…
            if not re.search(r"[A-Za-z0-9]", q):
                msg = "没看懂这条消息。请用文字描述您的问题，例如：单位有没有哺乳室？"
            else:
                msg = (
                    "目前只能回答关于工会女职工工作文件的中文问题，请用中文提问。"
                    "（Please ask in Chinese.）"
                )
            return reply(raw, "search", False, msg, view="none")

        if ASKS_WHERE_TO_TURN.fullmatch(q) or TURN_OR_WHO.fullmatch(q):  # 我该怎么办, 找谁
            return reply(raw, "search", True, WHERE_TO_TURN, view="none")
        helped = False  # help for a crisis, danger or harassment said before the rules
        intent = parse_intent(q, self.docs, self.departments)
        if intent.kind == "who" and TURN_TO.search(q):
            intent.kind = "search"  # her trouble, then 我该找谁: where to turn, not 责任单位
        if (
            intent.kind == "dept"
            and intent.department is None
            and self.retriever.tokenizer.expand(q)
        ):
            # 没有女工委: a word the synonym table reads as something the documents name
            # (女职工委员会), not a unit they do not list
            intent.kind = "search"
        k = max(1, min(int(k), 20))
        if intent.kind == "dept":
            answer = self.answer_department(raw, intent)
        elif intent.kind == "clause":
            answer = self.answer_clause(raw, q, intent, k, method)
        else:
            answer = self.answer_search(raw, q, intent, k, method)
        if CRISIS.search(q):  # a person first; nothing the documents say comes before
            if not answer.answered or not self.topical(q):  # 不想活了: no rule to quote at her
                return reply(
                    raw, answer.intent, False, CRISIS_CARE + "\n" + CRISIS_MORE, view="none"
                )
            note = "\n".join(part for part in (CRISIS_CARE, note) if part)
            helped = True
        elif DANGER.search(q):  # before any rule: where to get help now
            if not self.topical(q):  # 老公打我: no clause speaks of it; help, and someone to tell
                return reply(raw, answer.intent, False, SAFETY + "\n" + HEARD, view="none")
            note = "\n".join(part for part in (SAFETY, note) if part)
            helped = True
        elif HARASSMENT.search(q) and (
            HARASSED_HERSELF.search(q) or not cadre_on_harassment(q)
        ):  # 我被领导性骚扰了, 遇到性骚扰怎么办; not 工会怎么防治性骚扰
            if not answer.answered:  # 老板骚扰我: no rule found; what to do is the answer
                return reply(raw, answer.intent, False, HARASSMENT_HELP, view="none")
            note = "\n".join(part for part in (HARASSMENT_HELP, note) if part)
            helped = True
        if note:
            # The help said first already tells where to turn: the lead does not say it again.
            lead = answer.lead.removeprefix(HEARD) if helped else answer.lead
            return relead(answer, "\n".join(part for part in (note, lead) if part), raw)
        return answer

    def ask_department(self, name: str) -> Answer:
        """What a department (by full name, alias or short form) is responsible for."""
        canonical = self.departments.resolve(name) if name.strip() else None
        if canonical is None:
            return self.no_such_department(name, name)
        return self.answer_department(name, Intent("dept", department=canonical))

    def no_such_department(self, raw: str, name: str) -> Answer:
        """A department no document lists as 责任单位: said so, with some that are."""
        counts = Counter(d for c in self.retriever.clauses for d in c.departments)
        # Departments that share characters with the name asked first (财务部 → 财务资产管理部),
        # then the most frequent.
        asked_chars = set(name) - GENERIC_UNIT_CHARS
        ranked = sorted(counts, key=lambda d: (-len(asked_chars & set(d)), -counts[d]))
        examples = "、".join(ranked[:3]) or "宣传部"
        asked = f"“{name.strip()[:40]}”这个部门" if name.strip() else "部门名称"
        lead = (
            f"文件的责任单位里没有{asked}。可以问文件列出的部门，例如：{examples}。"
            if name.strip()
            else f"没有找到{asked}。请写出部门名称，例如：{examples}。"
        )
        return reply(raw, "dept", False, lead, view="none")

    def ask_clause(self, doc: str, number: str) -> Answer:
        """A clause by document (short name or 文号) and number (4, 五 or （五）)."""
        number = number.strip().strip("第条项")
        unit = "项" if number.isdigit() else "条"
        return self.ask(f"{doc.strip()}第{number}{unit}")

    def department_clauses(self, name: str) -> list[Clause]:
        """Every clause whose 责任单位 lists the department, in document order."""
        return [c for c in self.retriever.clauses if name in c.departments]

    def answer_department(self, raw: str, intent: Intent) -> Answer:
        if intent.department is None:
            return self.no_such_department(raw, intent.topic)
        name = intent.department
        clauses = self.department_clauses(name)
        hits = [self.hit(c) for c in clauses]
        lead = f"{name}是以下 {len(hits)} 条工作的责任单位："
        return reply(raw, "dept", bool(hits), lead, hits, view="list")

    def answer_clause(self, raw: str, q: str, intent: Intent, k: int, method: str) -> Answer:
        found: list[Clause] = []
        missing: list[str] = []
        for mention in intent.clauses:
            owner = mention.doc_code or (intent.docs[0] if len(intent.docs) == 1 else None)
            if owner is None and not intent.docs:  # 全国第6条: a level said just before it
                said = LEVEL_BEFORE.search(q[: mention.start])
                levels = level_docs(said.group(0), self.docs) if said else []
                owner = levels[0] if len(levels) == 1 else None
            resolve = resolve_part if mention.part else resolve_clause_number
            matches = resolve(mention.number, self.docs, owner)
            if not mention.part:
                # 湖北方案保障措施第二条: the clause so numbered under the heading named.
                codes = [owner] if owner else [d.code for d in self.docs]
                value = number_key(mention.number)[1]
                under = self.under_heading(q[: mention.start], codes, just_before=True)
                inside = [c for c in under if number_key(c.number)[1] == value]
                if not inside and value and len({c.doc_code for c in under}) == 1:
                    inside = under[value - 1 : value]  # 强化组织实施第二条: its second item
                if under:
                    matches = inside
                    if not inside:
                        where = self.doc_name(under[0].doc_code)
                        number = mention.number.strip("（）")
                        missing.append(f"{where}这一部分没有第{number}{mention.unit}")
                        continue
            if owner is None and intent.wants_parallel:
                matches = matches[:1]  # 第六条对应哪一条: the first document's, then its match
            if not matches:
                where = self.doc_name(owner) if owner else "文件"
                what = f"第{mention.number}部分" if mention.part else f"{mention.number}这一条"
                numbering = self.by_code[owner].numbering() if owner else ""
                missing.append(
                    f"{where}没有{what}" + (f"（{where}的条款是{numbering}）" if numbering else "")
                )
            found.extend(m for m in matches if m not in found)

        if intent.wants_parallel:
            target = intent.docs[-1]
            sources = [d for d in intent.docs if d != target]
            if not found:
                # A heading named (湖北方案的保障措施): every clause under it.
                found = self.under_heading(intent.topic, sources)
            if not found:
                # No number: find the clause by topic in the other document named.
                mask = self.doc_mask(sources)
                ranked = self.retriever.search(intent.topic, k=1, method=method, mask=mask)
                found = [r.clause for r in ranked]
            result: list[Clause] = []
            for clause in found:
                # A clause that stands for a whole heading of the target (湖北方案的总体要求 for
                # 全总意见的“一、把握总体要求”): every clause under that heading.
                whole = self.under_heading(clause.title, [target]) if clause.number else []
                if clause.doc_code == target:
                    result.append(clause)
                elif whole:
                    result.extend(c for c in whole if c not in result)
                elif clause.parallel and clause.parallel.doc_code == target:
                    par = self.clause_of(clause.parallel)
                    if par is not None and par not in result:  # two may share one
                        result.append(par)
            if not result and found:
                ranked = self.retriever.search(
                    intent.topic + " " + " ".join(c.title for c in found),
                    k=1,
                    method=method,
                    mask=self.doc_mask([target]),
                )
                result = [r.clause for r in ranked]
            found = result or found

        if not found:
            msg = "；".join(missing) or "没有找到这一条"
            msg += "。可以发送“全总意见第（八）条”或“湖北方案第4项”查看条款。"
            return reply(raw, "clause", False, msg, view="none")
        if len(found) > QUOTED_AT_MOST:  # a whole heading: each clause named, the user picks
            lead = f"{'对应的条款' if intent.wants_parallel else ''}共 {len(found)} 条："
            return reply(raw, "clause", True, lead, [self.hit(c) for c in found], view="list")
        if len(found) == 1 and WHO_RE.search(q):  # 全总意见第（十三）条由谁负责
            target, lead = self.responsible(found[0], intent.docs[1:])
            return reply(raw, "who", bool(target.departments), lead, [self.hit(target)])
        # 第六条, no document named: each document's, said to be so
        count = len({c.doc_code for c in found})
        lead = ""
        if count > 1 and not intent.docs and len(intent.clauses) == 1:
            lead = "两份文件里各有这一条：" if count == 2 else f"{count} 份文件里各有这一条："
        return reply(raw, "clause", True, lead, [self.hit(c) for c in found], view="full")

    def responsible(self, clause: Clause, named: list[str] | None = None) -> tuple[Clause, str]:
        """The clause whose 责任单位 answer 谁负责 for ``clause`` (itself, or its counterpart when
        it lists none or another document is named), and the lead saying so."""
        target = clause
        if (named and clause.doc_code not in named) or not clause.departments:
            parallel = self.clause_of(clause.parallel) if clause.parallel else None
            if parallel is not None and parallel.departments:
                target = parallel
        if not target.departments:
            return target, "这一条没有写明责任单位。"
        departments = "、".join(target.departments)
        if target is not clause:  # said first: the departments are the other document's
            return target, (
                f"{self.doc_name(clause.doc_code)}没有列责任单位；对应的{target.place}"
                f"列的责任单位是：{departments}。"
            )
        return target, f"这项工作的责任单位是：{departments}。"

    def outline(self, raw: str, code: str) -> Answer:
        """A document's numbered clauses, listed, the lead naming its parts (一、…（2 条）)."""
        clauses = [c for c in self.retriever.clauses if c.doc_code == code and c.number]
        parts: dict[str, int] = {}
        for c in clauses:
            top = top_heading(c) or f"{c.number}、{c.title}"
            parts[top] = parts.get(top, 0) + 1
        lead = f"{self.doc_name(code)}共 {len(clauses)} 条"
        if len(parts) > 1:
            lead += f"，分 {len(parts)} 部分：" + "；".join(
                f"{p}（{n} 条）" for p, n in parts.items()
            )
        hits = [self.hit(c) for c in clauses]
        return reply(raw, "clause", bool(hits), lead + "。", hits, view="list")

    def under_heading(self, text: str, codes: list[str], just_before: bool = False) -> list[Clause]:
        """The numbered clauses of the documents ``codes`` under a heading ``text`` names (with
        ``just_before``: names at its very end, as 湖北方案保障措施 before 第二条)."""
        tail = re.sub(r"[的里中下之\s]+$", "", text)

        def named(heading: str) -> bool:
            if just_before:
                return any(tail.endswith(form) for form in heading_forms(heading))
            return names_heading(text, heading)

        return [
            c
            for c in self.retriever.clauses
            if c.doc_code in codes and c.number and any(named(h) for h in section_names(c))
        ]

    @staticmethod
    def asked_beside(text: str, under: list[Clause]) -> bool:
        """Whether ``text`` asks about something beside the heading it names (哺乳期有哪些保障
        措施 asks about 哺乳期; 夯实组织基础包括哪几项 only about the heading)."""
        rest = ASKS_LIST.sub("", text)
        for form in sorted(
            {f for c in under for h in section_names(c) for f in heading_forms(h)},
            key=len,
            reverse=True,
        ):
            rest = rest.replace(form, "")
        return bool(re.sub(r"[的有是都主要呢吗啊呀和与及、，,？?。！!\s]", "", rest))

    def doc_mask(self, codes: list[str]) -> np.ndarray:
        return np.array([c.doc_code in codes for c in self.retriever.clauses])

    def rank(
        self, q: str, intent: Intent, k: int = 3, method: str = "hybrid"
    ) -> tuple[list[ScoredClause], Evidence | None]:
        """Ranked clauses for a search or who question, and the evidence for the top one."""
        mask = None
        # 总体要求谁负责: that clause, which names none, not the clauses that name departments
        if intent.kind == "who" and intent.topic.strip(" ？?。的") not in self.untitled_duties:
            mask = np.array([bool(c.departments) for c in self.retriever.clauses])
            if intent.docs:
                mask &= self.doc_mask(intent.docs)
            if not mask.any():
                mask = None
        boost = None
        preferred = [intent.focus_doc] if intent.focus_doc else intent.docs
        if preferred:
            boost = np.where(self.doc_mask(preferred), 1.5, 1.0)
        # A named document's name is no topic (湖北方案 drew its 前言), unless nothing else is
        # asked (湖北方案讲了什么: the 前言 says).
        topic_only = intent.docs and self.topical(intent.topic)
        query = intent.topic if intent.kind == "who" or topic_only else q
        channels = self.retriever.channel_scores(query)
        ranked = self.retriever.search(
            query,
            k=max(k, EVIDENCE_DEPTH) + COUNTERPART_DEPTH,
            method=method,
            mask=mask,
            boost=boost,
            channels=channels,
        )
        # The evidence reads the same first clauses however many the caller wants (the dialogue
        # asks for eight, the fit saw three).
        evidence = self.evidence(query, ranked[:EVIDENCE_DEPTH]) if ranked else None
        if mask is not None:  # a who-question searched only the clauses naming departments
            ranked = self.with_counterpart(query, ranked, method, mask, channels)
        return ranked, evidence

    def evidence(self, query: str, ranked: list[ScoredClause]) -> Evidence:
        """What the decline model reads about the best clause found for ``query``."""
        first = ranked[0]
        rest = ranked[1:]
        index = next(i for i, c in enumerate(self.retriever.clauses) if c is first.clause)
        # the question as meant: a word it mistyped (布乳室) is covered as the word it means
        tokenizer = self.retriever.tokenizer
        words = set(tokenizer.words(tokenizer.respelt(query)))
        held = self.retriever.clause_words[index]
        dense = first.channels.get("dense", 0.0)
        quote = self.quote(first.clause, first.best_sentence, EVIDENCE_JOIN_BELOW)
        return Evidence(
            dense=dense,
            dense_gap=dense - max((r.channels.get("dense", 0.0) for r in rest), default=dense),
            bigrams=first.channels.get("_clause_bigrams", first.channels.get("bigrams", 0.0))
            / max(4, len(query)),
            coverage=len(words & held) / len(words) if words else 0.0,
            margin=(first.score - rest[0].score) / first.score if rest and first.score else 1.0,
            quantity_unstated=float(quantity_unstated(query, quote)),
        )

    def answer_search(self, raw: str, q: str, intent: Intent, k: int, method: str) -> Answer:
        # The question without the document's name (the topic is the whole question when
        # nothing is left of it).
        rest = "" if intent.topic == q else intent.topic.strip(" ？?。！!，,")
        rest = BARE_FRAME.sub("", rest)  # 那湖北的呢: the document, and nothing asked of it
        if len(intent.docs) == 1 and (not rest or ASKS_OUTLINE.fullmatch(rest)):
            return self.outline(raw, intent.docs[0])  # 全总意见有几条, 湖北方案讲了什么
        tokenizer = self.retriever.tokenizer
        if not intent.docs and not tokenizer.words(q) and not tokenizer.expand(q):
            return reply(raw, intent.kind, False, ASK_MORE, view="none")  # 单位, 有没有
        asks_list = intent.kind == "search" and bool(ASKS_LIST.search(q))
        if asks_list:  # 夯实组织基础包括哪几项: the clauses under the heading named
            codes = intent.docs or [d.code for d in self.docs]
            under = self.under_heading(intent.topic, codes)
            if under and not self.asked_beside(intent.topic, under):
                hits = [self.hit(c) for c in under]
                return reply(raw, "clause", True, f"共 {len(hits)} 条：", hits, view="list")
        ranked, evidence = self.rank(q, intent, k, method)
        if not ranked or evidence is None:
            return reply(raw, intent.kind, False, "没有找到相关条款。", view="none")
        ranked = self.counterpart_second(ranked)[:k]
        hits = [self.hit(r.clause, r.score, r.best_sentence) for r in ranked]
        if asks_list and is_list(hits[0].text):  # 基本原则有哪些: every item, not the first
            hits[0] = replace(hits[0], quote=hits[0].text, sentence=0)
        if READING_IS_HARD.search(q) and not self.topical(q):  # 这文件读得我好难受，看不懂
            return reply(raw, intent.kind, False, HARD_TO_READ, view="none")
        heard = personal_trouble(q)
        if heard and FEELING.search(q) and not self.topical(q):  # 心里好难受: a person, no rule
            return reply(raw, intent.kind, False, FEELINGS_HEARD, view="none")
        if self.decline.declines(evidence):
            topical = self.topical(q)
            if not topical and not heard:  # nothing the documents speak of: no nearest topics
                return reply(raw, intent.kind, False, OUTSIDE, view="none")
            msg = (
                "这两份文件没有直接规定这个问题。"
                if len(self.docs) == 2
                else "现有文件没有直接规定这个问题。"
            )
            topics = self.nearest_topics(ranked[:NEAREST_TOPICS]) if topical else ""
            if topics:
                msg += f"相近的话题有：{topics}。"
            msg += "具体待遇和办事流程，建议咨询单位工会或拨打职工服务热线 12351。"
            if heard:  # her own trouble: heard first, whether or not the documents speak of it
                msg = HEARD_OPENING + msg
            return reply(raw, intent.kind, False, msg, hits if topics else [], view="none")
        # Her trouble heard, or (…我该找谁) where to turn, before the rule.
        opening = HEARD if heard else TURN_TO_LEAD if TURN_TO.search(q) else ""
        if intent.kind == "search" and ruling_unstated(q, hits[0].quote):  # 这合法吗
            opening += self.ruling_not_given
            opening += "" if "12351" in opening else RULING_WHERE
        lead = opening + "文件里的相关规定：" if opening else ""
        if intent.kind == "who":  # 全总意见里…由谁负责: the opinion lists none; its counterpart
            _, lead = self.responsible(ranked[0].clause)
            lead = HEARD + lead if heard else lead
        else:
            second = self.close_second(ranked[:k])
            if second is not None:
                index = next(i for i, r in enumerate(ranked) if r is second)
                hits.insert(1, hits.pop(index))
                lead = opening + ("文件里有两条规定都相关：" if opening else "有两条规定都相关：")
                return reply(raw, intent.kind, True, lead, hits, view="quotes")
        return reply(raw, intent.kind, True, lead, hits)

    @staticmethod
    def counterpart_second(ranked: list[ScoredClause]) -> list[ScoredClause]:
        """The first clause's counterpart in the other document right after it, when it is
        among the clauses found: the answer names it under the first (对应条款), and it is the
        same item of work. The rest stay in score order."""
        parallel = ranked[0].clause.parallel if ranked else None
        twin = next((r for r in ranked[1:] if r.clause.ref == parallel), None)
        if twin is None:
            return ranked
        return [ranked[0], twin, *(r for r in ranked[1:] if r is not twin)]

    def with_counterpart(
        self,
        query: str,
        ranked: list[ScoredClause],
        method: str,
        mask: np.ndarray,
        channels: dict[str, np.ndarray],
    ) -> list[ScoredClause]:
        """The first clause's counterpart second, as a search answer has it: a who-question
        searches only the clauses that name departments (``mask``), so the opinion's item (the
        same work, which the answer names under the first) is never found. It comes scored and
        quoted as that search would have found it had it been among them."""
        if not ranked or ranked[0].clause.parallel is None:
            return ranked
        twin = self.clause_of(ranked[0].clause.parallel)
        if twin is None or any(r.clause is twin for r in ranked):
            return ranked
        among = mask | np.array([c is twin for c in self.retriever.clauses])
        found = self.retriever.search(
            query, k=len(ranked) + 1, method=method, mask=among, channels=channels
        )
        scored = next((r for r in found if r.clause is twin), None)
        if scored is None:
            return ranked
        return [ranked[0], scored, *ranked[1:]]

    @staticmethod
    def close_second(ranked: list[ScoredClause]) -> ScoredClause | None:
        """The strongest clause after the first that is not its counterpart in the other
        document (which the answer names anyway), when it is nearly as strong: worth quoting
        too."""
        if not ranked:
            return None
        first = ranked[0]
        others = (
            r for r in ranked[1:] if r.clause.number and r.clause.ref != first.clause.parallel
        )
        second = next(others, None)
        if second is None or second.score < CLOSE_SECOND * first.score:
            return None
        return second
