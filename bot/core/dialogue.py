"""A conversation, not a search box: small talk, and follow-ups resolved against the last answer.

``Dialogue.respond(text, context)`` answers one message given what the conversation was about
and returns the answer with the new context. A message is, in this order:

- **small talk** (你好, 谢谢, 再见, 你是谁, 你能做什么): a short reply in the voice of 娘家人, with
  example questions drawn from the loaded documents; small talk in front of a question
  (你好，请问有哺乳室吗) is dropped and the question answered;
- **a follow-up** with no topic of its own, resolved against the clause the conversation is
  about: who is responsible (那谁负责), the other document (湖北是怎么落实的, 对应哪条), the whole
  clause (详细说说), more of the last ranking (还有吗), the next or previous clause (下一项),
  the next alternative (不对), or the last question's intent carried over to a new subject
  (那组织部呢);
- otherwise **a new question**, answered on its own: the context never leaks into it.

Everything here is general rules over the language and the documents' own structure (their
clause order, 责任单位 and 对应条款); nothing is keyed to particular questions. The context is
plain data (clause references, no user text) so the Telegram shell can persist it.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field

from bot.core.answer import (
    ASKS_WHERE_TO_TURN,
    CRISIS_CARE,
    HEARD_OPENING,
    NEAREST_TOPICS,
    NO_UNIT_RE,
    OUTSIDE,
    QA,
    RULING_WHERE,
    TURN_OR_WHO,
    TURN_TO_LEAD,
    personal_trouble,
    without_unit,
)
from bot.core.counterparts import differences, implements, phrases, sharing, unsaid_in
from bot.core.decline import RULING_RE
from bot.core.documents import Clause, ClauseRef, cn_to_int
from bot.core.intents import CLAUSE_NO_RE, WHO_RE, find_docs, level_docs, normalise_query
from bot.core.replies import Answer, Hit, book_title, relead, reply, shorten
from bot.core.tokens import sounds_alike

DEFAULT_TTL = 30 * 60  # seconds of silence after which a conversation starts afresh
RANKING = 8  # clauses of a ranking kept for 还有吗 and 不对
# ... those scoring at least this share of the way from the last of them to the first: 不对
# after 不对 stays near the question instead of drifting to whatever ranked eighth. Measured from
# the last, not from zero, since how far fused scores spread depends on the fusion fitted.
RANKING_SHARE = 0.5
RANKING_KEPT = 3  # ... and the first three whatever their scores: those a first answer lists
MORE = 2  # clauses shown by one 还有吗
NEAR_NOTE = "您刚才问的事，文件里没有直接规定；下面是相近话题的内容，供参考。"

# Small talk, as whole phrases; what is left after removing them (and filler) is the question.
SMALLTALK = {  # in order of precedence when a message has several
    "robot": r"你是(不是)?(机器人|人工智能|真人|人|ai)[吗么嘛]?"
    r"|(是)?(机器人|真人)(吗|么|还是真人|还是机器人)",
    "who": r"你是谁|你叫什么(名字)?",
    "help": r"你(都|还)?(能|会|可以)(做|干|回答|帮我|帮)(些)?(什么|啥|哪些)(问题|事)?|"
    r"(这个)?(怎么|如何|咋)(用|使用)(你)?|有(什么|哪些|啥)(功能|用)|你(都)?(能|会)(做|干)?(什么|啥|嘛)",
    "human": r"(转|找|要)?人工(客服|服务)?|(找|要)真人|客服",
    "greeting": r"(老师|姐|大姐|亲|领导|师傅|娘家人|老铁)?(你好|您好|你号|侬好)|"
    r"hi|hello|hey|哈喽|嗨|老铁|嘎哈呢|干啥呢|搞么(斯|事)撒?|"
    r"(早上|上午|中午|下午|晚上)好|早(安)?|(老师|大家|各位|姐妹们?|同志|领导|师傅|亲|娘家人)(们)?好|"
    r"(亲|老师|姐)?(在[吗么嘛不]|在不在|有人[吗么嘛]?)|亲亲?|老师|大姐|师傅|娘家人",
    "night": r"晚安",
    "thanks": r"thanks?( ?(you|u))?|thx|3q"
    r"|(好的|好|嗯|收到)?(谢谢|多谢|感谢|辛苦|唔该)(你|您|了|姐|娘家人|大家)*"
    r"(听我说(完|话)?|陪我(聊天?)?|愿意听)?",
    "praise": r"你?(真|好|太)?(棒|厉害|聪明|贴心|给力)(了)?",
    "blame": r"你?(真|好|太)?(笨|傻|没用|不行|垃圾|废物|差劲)(了)?|没用|你有病|滚|"
    r"什么破(玩意|东西)?|(看|听)不(懂|明白)|能(不能)?说人话[吗么]?|说人话|"
    r"(你|你这)?(答|回答|说)的(是)?(什么|啥)(啊|呀)?",
    "bye": r"再见|拜拜|bye|886|回头见|下次再聊",
    # A sigh or tears, with nothing said yet: heard first, then asked what is wrong.
    "sad": r"唉+|唉呀|呜+|嘤+|哭了?|哭哭|想哭|"
    r"(我|俺)?(心里|心情)?(好难|好烦|烦死了|(好|很|太|真|特别)?(难受|难过|伤心|绝望|憋屈|委屈)|心好累|"
    r"好怕|好害怕)|"
    r"(我|俺)?(快|真的|实在)?(撑不下去|撑不住|扛不住|受不了|熬不住|崩溃)了?|"
    r"(我|俺)?(只是)?想(有人|找人)(听我)?(说说话|说话|聊聊|说说)|"
    r"(我|俺)?(工作|上班|干活|每天)?(好累|太累了?|累死了?|压力(好|太)大)",
    # Only the opening of a question (请问, 我想问一下, 咨询一下): the question is still to come.
    "ask": r"请问|我?想?问(一?下|个(问题|事)?)|咨询(一?下|个(问题|事)?)|我想咨询|"
    r"有个问题|有事想问",
    "ok": r"好的?|好嘞|嗯|哦|收到|明白了?|知道了|了解了?|ok|行|哈|嘿|呵",
}
# 怎么办, 那要怎么做, with no one named: after her trouble, where to turn; after a clause, the
# clause in full (what it sets out to do).
HOW_ALONE = re.compile(
    r"(那)?(该|应该|要|得)?(怎么办|咋办|咋整|咋弄|怎么弄|怎么做|咋做|咋个?搞)(才好)?(呢|吗|啊|呀|嘛)?"
    r"[？?。！!]*"
)
# What frames a topic in a comparison asked in one message (在…上, 这块, 两份文件, 和).
COMPARED_FRAME_RE = re.compile(
    r"(这|那)?(两份|两个)(文件)?|(在|关于|对于)(?=.)|(方面|这块|这一块|上面|上)(?=\s|$)|[和跟与同]\s"
)
COMPARED_PHRASES = 6  # phrases named on each side when two clauses are compared
# 咋申请, 在哪报名, 怎么参加 said alone: how to take part, which the documents (what unions are
# to do) never say; the union at her workplace and 12351 can.
PROCEDURE_ALONE = re.compile(
    r"(那)?([我俺咱](们)?)?(要|该|能|可以)?"
    r"((怎么|咋|如何|怎样)(才能)?(申请|报名|参加|办理|预约|登记|加入|享受|联系)"
    r"|(去|在|到|找)(哪|哪儿|哪里|谁)(去)?(申请|报名|参加|办理|办|预约|登记|加入))"
    r"(呢|啊|呀|吗|嘛)?[？?。！!]*"
)
PROCEDURE = (
    "文件里写的是工会要做的工作，没有写具体怎么申请、报名或办理。您想参加或办理，" + TURN_TO_LEAD
)
SAD_OPENING = "抱抱您。"
STILL_HEARD = (
    "娘家人一直在听。心里难受的时候，可以拨打心理援助热线 12356（随时可以打）；遇到具体的难处，"
    "可以找单位工会（女职工委员会），或拨打职工服务热线 12351；有危险请拨打 110。"
    "您愿意的话，跟我说说发生了什么。"
)
# 工会能帮我吗, 工会管不管这个, 工会能出面吗: asked after her trouble, whether the union helps.
UNION_HELP_ASKED_RE = re.compile(r"工会[^，,。？?！!]{0,4}(帮|管|出面|撑腰|做主|替我|为我)")
UNION_DUTY = "能。维护女职工的合法权益和特殊利益，是工会的职责"
UNION_HELPS = (
    UNION_DUTY + "。您可以先找单位工会（女职工委员会）反映，"
    "也可以拨打职工服务热线 12351，工会的工作人员会帮您；心里难受的时候，"
    "可以拨打心理援助热线 12356。您愿意的话，跟我说说发生了什么。"
)
# The same after she told of her trouble: she has said what happened; who else can help.
UNION_HELPS_AFTER = (
    UNION_DUTY + "：您可以先找单位工会（女职工委员会）反映，"
    "也可以拨打职工服务热线 12351；遇到家庭暴力，还可以找当地妇联或拨打 12338；有危险请拨打 110。"
)
WHO_FOR_HER = "这些是文件里负责这项工作的部门；您遇到具体的事，" + TURN_TO_LEAD
CARE_OPENINGS = (SAD_OPENING, HEARD_OPENING, CRISIS_CARE)
# Faces of laughter: 哈 when the emoji go (想死😂 is a laugh, not a crisis).
LAUGH_RE = re.compile("[\U0001f602\U0001f923\U0001f604\U0001f601\U0001f606\U0001f605]")
# A run of emoji or pictographs: a segment of its own (😭孩子没人带 is a sigh, then a question).
EMOJI_RUN_RE = re.compile("([\U0001f300-\U0001faff\u2600-\u27bf]+)")
# Faces of sadness or distress (😭, 😢, 💔…): said alone, a sigh in a picture.
SAD_FACES_RE = re.compile(
    "[\U0001f622\U0001f62d\U0001f61e\U0001f614\U0001f61f\U0001f625"
    "\U0001f630\U0001f629\U0001f62b\U0001f616\U0001f623\U0001f97a\U0001f494\u2639\U0001f641\U0001f63f]"
)
# Who the asker is, said alone (我是护士, 俺是厂里的女工): nothing asked yet.
INTRO_RE = re.compile(r"(我|俺)(是|在)(一[名个位]|个)?[\u3400-\u9fff]{1,10}(的)?")
SMALLTALK_RE = {kind: re.compile(rf"(?:{pattern})", re.I) for kind, pattern in SMALLTALK.items()}
SEGMENT_RE = re.compile(r"[\s，,。.！!？?~～、…；;]+")
# What a chat phrase may carry around it: particles, laughter, an address (姐), emoji.
PARTICLES_RE = re.compile(r"[啊啦呀哇哈嘞哟喔噢吧嘛哦呐]+$|(?<=.)[姐哥]$")
NOT_WORDS_RE = re.compile(r"[^\w\u3400-\u9fff]+")
GREETING_PREFIX_RE = re.compile(r"^(你好|您好|哈喽|嗨)[呀啊]?(?![呀啊])(?=[\u3400-\u9fff]{2})")

# A question about her own work or life: 我 / 俺 / 咱 (not 我们县总工会, 我单位工会: a cadre's
# union), or a workplace named first (单位没地方喂奶, 厂里…).
OWN_RE = re.compile(
    r"[我俺咱](?!们?(县|市|区|省|州|镇|乡|街道|单位工会|工会|总工会))|^(单位|厂里|公司|车间)"
)

# Follow-ups, matched on the message with its leading 那/那么 and trailing 呢/吗 taken off.
NEXT_RE = re.compile(r"(再|接着)?下一(项|条|个|点|部分)|接着(往下)?(说|讲|看)|往下(说|讲)|继续")
PREVIOUS_RE = re.compile(r"上一(项|条|个|点|部分)|前一(项|条|个)")
FULL_RE = re.compile(
    r"详细|具体(说|讲|内容|点|一点|些)|全文|原文|展开|完整|全部内容|整条|这条(写|讲|说)了什么"
    r"|(说|讲)(得)?(细|仔细|清楚)(一)?(点|些)|细(说|讲)"
    # 文件里有吗, 文件里咋说的: what the document says of what was just discussed
    r"|^(那)?(文件|政策|原文)(里|上)?(面)?(是)?(有|有没有|有无|咋|怎么|怎样|如何)"
    r"(这个|这方面|相关)?(的)?(说|讲|写|规定|说法|内容)?(的)?(吗|呢|没有|不|么)?$"
)
# Words of follow-ups that a pinyin input method mistypes (谁负则, 谁复责, 详西说说):
# a run of two characters sounding like one of them, one character the same, reads as it in a
# message that is then a follow-up (and is none as it was typed).
FOLLOW_UP_SPELLINGS = ("负责", "详细", "具体", "区别", "落实", "简单", "出自", "对应", "全文")
MORE_RE = re.compile(
    r"还有(别的|其他|其它|什么|没有|吗|呢|相关|更多)?|更多|其他(的)?(规定|条款)|别的(规定|条款)"
)
WRONG_RE = re.compile(
    r"不对|不是(这个|这条|这一条|这样|我要的|我问的)|错了|答非所问|没回答(我的)?问题|换一(条|个)"
)
# 两个有什么区别, 有啥不一样, 对比一下: how the clause and its counterpart differ.
COMPARE_RE = re.compile(
    r"(这|那)?(两个|两条|两项|两份|两者|二者|它俩|俩|两边)?(文件|条款|规定)?(之间|相比)?"
    r"(?:(有|有没有)?(什么?|啥|哪些|哪里|哪儿|多大)?(的)?(区别|不同|差别|差异|不一样|异同)"
    r"(在哪(里|儿)?)?|(比较|对比)(一下)?(两份|两个|两条)?(文件|条款)?|比一比"
    r"|(多|少|新增|增加|添)了?(点)?(什么?|啥|哪些)(内容|东西)?|有(什么?|啥|哪些)新增的?(内容)?"
    r"|差在哪(里|儿)?)"
    r"|(两份|两个|两者|二者|它俩)(文件)?(之间)?(是|有)?(什么?|啥)关系"  # not 这跟我有什么关系
)
# 出自哪一条, 这是哪个文件说的, 出处, 依据是什么: where the answer comes from.
SOURCE_RE = re.compile(
    r"(出自|来自|摘自|引自)(哪|什么|那)(里|儿|个|份|一份|一条|一项|条|项)?(文件|条款|规定)?"
    r"|出处|依据(是)?(什么?|啥|哪)|(哪|什么)(个|份|一份)?(文件|条款)(里)?(说|写|规定)的"
    r"|(是|在)(哪|什么)(个|份|一份)(文件|条款)(里|上)?|(文号|发文字号)(是)?(多少|什么?|啥)?"
)
# 再说一遍, 没看清: the clause discussed again, as it was quoted.
REPEAT_RE = re.compile(
    r"(请|麻烦)?(你)?(再|重新)(说|讲|发|来)(一|1)?(遍|次|下)|重复一(遍|下|次)|没看清(楚)?|刚才说的(啥|什么?)"
)
# 说简单点, 通俗点: the clause in brief (what it is about, and the sentence that answered).
SIMPLER_RE = re.compile(
    r"(能不能|能|可不可以|可以|请|麻烦)?(再)?(说|讲|解释)?(得)?(简单|通俗|直白|明白|浅显)(一)?(点|些)"
    r"(说|讲)?"
    r"|(简单|通俗|直白)(地|点|些)?(说|讲)(一下|说)?|说白了(是)?(啥|什么?)(意思)?"
    r"|(这|那)?(是)?(啥|什么?)意思|用大白话(说|讲){1,2}(一下)?"
)
DOC_NUMBER_RE = re.compile(r"文号|发文字号|发文号")
# 湖北是怎么落实的, 全国怎么说: how the other document says it (its whole text), not which it is.
HOW_SAID_RE = re.compile(r"怎么|怎样|如何|咋")
# 全国文件有这个吗, 湖北也有吗, 提到了吗: whether the other document says it too.
HAS_IT_RE = re.compile(
    r"有(这个|这条|这句|这项|这些|这)(内容|规定|说法)?(吗|么|没有|不)|也有|有没有|提到|讲到|说到|写了"
)
# 那它还负责什么 after departments were named: what else the department is responsible for.
DUTIES_RE = re.compile(
    r"(它|他|她|它们|他们|她们|这个部门|这些部门|这几个部门|这个单位|这些单位|这几个单位)"
    r"(还|都|另外|又|平时)?(还)?(负责|管|分管|牵头)(了|着)?"
    r"(些|哪些|什么?|啥|哪几项|别的|其他|其它)(别的|其他)?(工作|事情?|方面|内容)?"
)  # 什么? : the stripped message has lost its 么 (TRAILING_RE)
DUTY_WORDS_RE = re.compile(r"(责任|牵头|负责|主管|配合)(单位|部门)|归哪(个|些)?(部门|单位)")
OTHER_DOCUMENT_RE = re.compile(
    r"对应|落实|细化|贯彻|执行|怎么(说|写|讲|规定)|如何(规定|落实)|第几(项|条)|哪一?(项|条)|哪里"
)
# The words a follow-up is made of; a message with content words beyond these has a topic.
FRAME_RE = re.compile(
    r"这件事|这事|这个|这些|这项工作|这项|这条|这一条|这块|这方面|这里|此事|此项|它们?|那个|那|这|"
    r"的|是|在|里|中|上|方案|文件|意见|规定|工作|事情?|问题|部门|单位|负责|管|谁|哪些|哪个|"
    r"什么|怎么|如何|由|归|来|呢|吗|啊|呀|吧|了|有|都|又|再|还|要|给|我|看看|说说|讲讲|一下|"
    r"内容|省里|省总|省级|本省|全国|国家|中央|他们|搞|么样|咋样|咋|具体|措施|做法|举措"
)
ELLIPSIS_RE = re.compile(
    r"^(?:那|那么|还有|那要是|要是)?(?P<subject>.{1,24}?)(?:呢|怎么样|怎么说|如何)$"
)
# One of the clauses just listed, by its place in the list (第二个, 第3个详细说说); 第3条 names
# a clause of a document instead.
PICK_RE = re.compile(
    r"(就|那|看看|说说|讲讲)?第(?P<n>[一二三四五六七八九十]{1,3}|\d{1,2})个"
    r"(吧|呢)?(详细|具体)?(说说|讲讲|看看|展开|是什么|全文)?(一下)?"
)
CLARIFY = "不太确定您指的是哪一项工作。请把问题说完整一些，例如：婚恋交友服务由哪个部门负责？"
QUESTION_WORDS_RE = re.compile(r"能|可以|会不会|吗|什么|怎么|怎样|有没有|是否|是不是|多少|几|谁|哪")
LEADING_RE = re.compile(r"^(那么?|好的?|嗯|哦|那请问|请问)[，,]?")
TRAILING_RE = re.compile(r"[呢吗么啊呀吧][？?]?$|[？?。!！]+$")


@dataclass
class Context:
    """What a conversation is about: plain data, so that the bot can persist it."""

    intent: str  # of the last answer: search | who | dept | clause
    focus: list[str] | None = None  # [文号, number, title] of the clause being discussed
    ranking: list[list[str]] = field(default_factory=list)  # the last ranking, best first
    shown: list[list[str]] = field(default_factory=list)  # clauses of it shown so far
    department: str = ""  # the department a dept answer was about
    answer_ref: str = ""  # the shell's name for the last answer (a message id), for 不对
    at: float = 0.0  # when the conversation last moved
    # The sentence that answered in each clause of the ranking ("文号|number|title" -> index),
    # so a follow-up quotes the 婚恋 sentence of a clause found for 相亲, not its first one.
    # Absent in a context stored before it was kept: follow-ups then quote as they did.
    sentences: dict[str, int] = field(default_factory=dict)
    # The last answer listed its clauses one a line (第二个 then picks one of them). Absent in
    # a context stored before it was kept: nothing to pick from.
    listed: bool = False
    # The last message told of her own trouble (a crisis, violence, harassment, a hardship, a
    # sigh): 怎么办 then asks where to turn, not what the clause sets out. Absent in a context
    # stored before it was kept: no trouble told.
    helped: bool = False
    # The question was about her own work or life (单位没有哺乳室, 我们厂…): 那谁负责 then also
    # says where she can go. Absent in a context stored before it was kept: not hers.
    own: bool = False
    # The clauses a 还有吗 answer showed, in order, for 第二个 (a list answer picks from the
    # ranking). Absent in a context stored before it was kept: none.
    picks: list[list[str]] = field(default_factory=list)
    # The last answer declined and named the nearest topics (focus, ranking and picks are
    # theirs): a follow-up says first that it speaks of the nearest, not of what was asked.
    # Absent in a context stored before it was kept: an answer's context.
    near: bool = False
    # She said she has no unit or no union at work (没单位, 跑外卖): where to turn is the union
    # where she lives or works, for the rest of the talk. Absent in a context stored before it
    # was kept: not said.
    unitless: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Context | None:
        """A context read back from storage; anything malformed is no context."""
        if not isinstance(data, dict):
            return None
        try:
            context = cls(**data)
        except TypeError:
            return None
        if not isinstance(context.ranking, list) or not isinstance(context.shown, list):
            return None
        if not isinstance(context.picks, list):
            return None
        refs = [context.focus] if context.focus else []
        refs += context.ranking + context.shown + context.picks
        ok = all(isinstance(r, list) and len(r) == 3 for r in refs)
        ok = ok and isinstance(context.sentences, dict)
        ok = ok and all(isinstance(v, int) for v in context.sentences.values())
        flags = (context.listed, context.helped, context.own, context.near, context.unitless)
        ok = ok and all(isinstance(flag, bool) for flag in flags)
        return context if ok and isinstance(context.at, int | float) else None

    def sentence(self, clause: Clause) -> int | None:
        """The sentence of ``clause`` that answered the question, if it was ranked."""
        return self.sentences.get(_key(clause))


@dataclass
class Turn:
    """One message answered: the answer, the new context and what kind of turn it was."""

    answer: Answer
    context: Context | None
    followup: str = ""  # "" (a fresh question), smalltalk, clarify, help, who, parallel, full,
    # source, compare, duties, repeat, simpler, more, next, previous, ellipsis or alternative
    resolved_against: str = ""  # the place (or department) a follow-up was resolved against
    rejected_ref: str = ""  # for 不对: the shell's name for the answer rejected (answer_ref)
    farewell: bool = False  # the message said goodbye (再见, 拜拜) and was answered in kind

    def name_answer(self, answer_ref: str) -> None:
        """Tell the context what the shell calls this turn's answer (a log ref, a message id),
        which a later 不对 rejects; small talk and declines are no answer to reject."""
        if self.context is not None and self.answer.answered and self.followup != "smalltalk":
            self.context.answer_ref = answer_ref


def _ref(clause: Clause | Hit | ClauseRef | None) -> list[str]:
    """A clause as plain data ([] for none)."""
    return [clause.doc_code, clause.number, clause.title] if clause else []


def _key(clause: Clause | Hit) -> str:
    return "|".join(_ref(clause))


def _following(about: str, lead: str) -> str:
    """A follow-up's lead: what it was resolved against (if anything), then what it says."""
    return "\n".join(p for p in (f"（接上一条：{about}）" if about else "", lead) if p)


def _phrase_list(phrases: list[str], n: int = COMPARED_PHRASES) -> str:
    """At most ``n`` phrases, each at most 40 characters, with 等 when some are left out."""
    shown = "；".join(shorten(p, 40) for p in phrases[:n])
    return shown + ("等" if len(phrases) > n else "")


def _strip(text: str) -> str:
    """The message without its leading 那/好的 and trailing 呢/吗 and punctuation."""
    text = LEADING_RE.sub("", text.strip())
    for _ in range(2):
        text = TRAILING_RE.sub("", text).strip()
    return text


class Dialogue:
    """Answers messages in the context of a conversation, over one ``QA``."""

    def __init__(self, qa: QA, ttl: float = DEFAULT_TTL) -> None:
        self.qa = qa
        self.ttl = ttl
        self.examples = example_questions(qa)
        self.clause_example = clause_example(qa)

    # ------------------------------------------------------------------ entry point

    def respond(self, text: str, context: Context | None = None, now: float | None = None) -> Turn:
        """Answer one message; ``context`` is what the conversation was about (None: nothing,
        or expired). Never raises on bad input."""
        now = time.time() if now is None else now
        if context is not None and now - context.at > self.ttl:
            context = None
        # a laugh stays a laugh when the emoji go (加班加到想死😂 is no crisis)
        q = LAUGH_RE.sub("哈", normalise_query(text if isinstance(text, str) else ""))
        kind, rest = self.smalltalk(q)
        sighed = kind == "sad"
        told = sighed or personal_trouble(q)
        was_told = context is not None and context.helped
        if told and context is not None:
            context.helped = True  # 唉，怎么办: where to turn, whatever was read before
        turn = self.answer_message(text, q, kind, rest, context, now)
        if was_told:
            turn = self.still_heard(turn, text, q, context)
            # still in her trouble: heard again, or asking who or where (那谁负责, 我该找谁)
            told = told or turn.answer.message == STILL_HEARD or turn.followup in ("who", "help")
        elif context is not None and context.own and turn.followup == "who":
            turn = self.for_her(turn, text)  # 单位没有哺乳室 → 那谁负责: and where she can go
        if turn.followup == "" and turn.context is not None and turn.context is not context:
            turn.context.own = bool(OWN_RE.search(q))  # a question of its own: whose it is
        if told and turn.context is None:  # 不想活了 with nothing before: the talk remembers it
            turn.context = Context(intent="search", at=now)
        # Other small talk (好的, 谢谢) leaves what she told as it was.
        if turn.context is not None and (turn.followup != "smalltalk" or sighed):
            turn.context.helped = told
        if NO_UNIT_RE.search(q) or (context is not None and context.unitless):
            turn.answer = without_unit(turn.answer)  # the union where she is, not her unit's
            if turn.context is not None:
                turn.context.unitless = True
        return turn

    def still_heard(self, turn: Turn, text: str, q: str, context: Context | None) -> Turn:
        """The turn after she told of her trouble (a crisis, violence, harassment, a hardship):
        what the documents cannot answer (你能帮我吗, 我好怕) is met with someone to turn to, not
        "答不上来"; 那谁负责 names the departments as the documents' and says where she can go.
        The talk stays where it was (no clause found for stray words to follow up)."""
        answer = turn.answer
        # nothing the documents speak of, declined or (a clause found for 你能帮我吗) not; a
        # clause number or a document named (第6条, 全总意见有几条) is asked, not this
        named = CLAUSE_NO_RE.search(q) or find_docs(q, self.qa.docs)
        unasked = turn.followup == "" and answer.intent == "search" and not named
        unasked = unasked and bool(answer.hits) and not self.qa.topical(q)
        if answer.message == OUTSIDE or unasked or turn.followup == "clarify":
            # 工会能帮我吗, 工会管这个吗: yes, and how; else someone to turn to
            said = UNION_HELPS_AFTER if UNION_HELP_ASKED_RE.search(q) else STILL_HEARD
            turn.answer = reply(text, answer.intent, False, said, view="none")
            turn.context = context
        elif turn.followup == "who":
            turn = self.for_her(turn, text)
        return turn

    @staticmethod
    def for_her(turn: Turn, text: str) -> Turn:
        """A who-answer given to a woman about her own case: the departments are the
        documents', and she is told where she can go (said once)."""
        answer = turn.answer
        if answer.answered and WHO_FOR_HER not in answer.lead:
            lead = f"{answer.lead}\n{WHO_FOR_HER}" if answer.lead else WHO_FOR_HER
            turn.answer = relead(answer, lead, text)
        return turn

    def answer_message(
        self, text: str, q: str, kind: str, rest: str, context: Context | None, now: float
    ) -> Turn:
        """The message's answer, ``q`` normalised and read for small talk (``kind``, the
        ``rest``) once by ``respond``."""
        if (
            INTRO_RE.fullmatch(_strip(rest))
            and not QUESTION_WORDS_RE.search(rest)
            and not self.qa.topical(rest)
        ):
            kind, rest = "intro", ""
        if kind and not rest:
            answer = reply(text, "smalltalk", True, self.smalltalk_reply(kind), view="none")
            if context is not None:
                context.at = now
            return Turn(answer, context, followup="smalltalk", farewell=kind == "bye")
        if kind == "sad" and rest != q:  # 唉，孩子没人带怎么办: heard first, then answered
            context = context or Context(intent="search", at=now, helped=True)
            return self.heard(self.respond(rest, context, now), text)
        if kind or EMOJI_RUN_RE.search(q):  # 你好，请问有哺乳室吗: what follows is asked
            text = q = EMOJI_RUN_RE.sub("", rest)
        read = context is not None and context.intent == "clause" and not context.helped
        focus = self.clause(context.focus) if read else None
        if focus is not None and HOW_ALONE.fullmatch(q):
            return self.whole(text, context, focus)  # 怎么办 after a clause read: what it sets
        if PROCEDURE_ALONE.fullmatch(q):  # 咋申请, 在哪报名: who can tell her, the talk kept
            if context is not None:
                context.at = now
            answer = reply(text, "search", True, PROCEDURE, view="none")
            return Turn(answer, context, followup="help")
        about = context is not None and context.focus is not None and not context.helped
        where = ASKS_WHERE_TO_TURN.fullmatch(q) or (TURN_OR_WHO.fullmatch(q) and not about)
        if where:  # 我该找谁 is hers, not a follow-up's 谁负责 (找谁 after a clause is)
            answer = self.qa.ask(text)  # where a person can help, as ``ask`` says it
            if context is not None:
                context.at = now
            return Turn(answer, context, followup="help")
        alone = self.asked_alone(q)
        if alone:  # 这合法吗, 工会能帮我吗: said with no topic of its own, whatever came before
            if context is not None:
                context.at = now
            focus = self.clause(context.focus) if context is not None else None
            if alone == "union" and focus is not None and not context.helped:
                # 单位有没有哺乳室 → 工会管这个吗: yes, it is the union's work, as written
                lead = "管。这是文件里写明的工会工作："
                return self.answered(text, "help", "clause", context, focus.place, [focus], lead)
            if alone == "ruling":
                said = self.qa.ruling_not_given + RULING_WHERE
            else:
                said = UNION_HELPS_AFTER if context and context.helped else UNION_HELPS
            return Turn(reply(text, "search", True, said, view="none"), context, followup="help")
        q = self.mended_follow_up(q)
        turn = self.follow_up(text, q, context) if context is not None and q else None
        nothing_before = context is None or context.focus is None
        kind = self.follow_up_kind(q, in_context=False) if turn is None and nothing_before else ""
        if kind == "compare":  # 两份文件有什么区别 with no clause before: how the documents relate
            return Turn(self.documents_compared(text), context, followup="compare")
        if kind == "source" and DOC_NUMBER_RE.search(q):  # 文号是多少, nothing before: each's
            named = [m.code for m in find_docs(q, self.qa.docs)] or [d.code for d in self.qa.docs]
            return Turn(self.documents_named(text, named), context, followup="source")
        if kind == "parallel" and OTHER_DOCUMENT_RE.search(q):  # 湖北怎么落实的, nothing before
            answer = self.documents_compared(text, then="湖北怎么落实的")
            return Turn(answer, context, followup="parallel")
        if kind and not find_docs(q, self.qa.docs):  # a follow-up with nothing to follow
            answer = reply(text, "search", False, self.clarify(kind), view="none")
            return Turn(answer, context, followup="clarify")  # what she told stays
        if turn is None and COMPARE_RE.search(q):  # 母婴室这块两份文件有什么不同: found, compared
            turn = self.compared_topic(text, q)
        if turn is None:
            turn = self.fresh(text)
        if turn.followup == "" and turn.context is None and context is not None:
            turn.context = context  # a question it could not answer leaves the talk as it was
        if turn.context is not None:
            turn.context.at = now
        return turn

    def mended_follow_up(self, q: str) -> str:
        """The message with the follow-up words it mistyped mended (谁负则 → 谁负责), when that
        makes a follow-up of what was none; else the message as it was."""
        if len(q) > 20:
            return q
        mended = q
        for word in FOLLOW_UP_SPELLINGS:
            for i in range(len(mended) - 1):
                run = mended[i : i + 2]
                if run != word and (run[0] == word[0] or run[1] == word[1]):
                    if sounds_alike(run[0], word[0]) and sounds_alike(run[1], word[1]):
                        mended = mended[:i] + word + mended[i + 2 :]
        # read as a follow-up only when nothing was mended (the common case) costs nothing
        if mended == q or self.follow_up_kind(q):
            return q
        return mended if self.follow_up_kind(mended) else q

    def compared_topic(self, text: str, q: str) -> Turn | None:
        """A comparison asked with its topic in one message (湖北方案和全总意见在母婴室上有什么
        不同): the clause found for the topic, compared with its counterpart; None when there
        is no topic or the clause found has no counterpart. Clauses named by number are
        answered once: compared when they are a clause and its counterpart, else as asked."""
        if CLAUSE_NO_RE.search(q):  # 湖北方案第4项和全总意见第六条有啥区别: the clauses named,
            named = self.fresh(text)  # a clause and its counterpart (or one: with its own)
            hits = named.answer.hits
            if named.context is not None and hits and hits[0].parallel is not None:
                focus = self.clause(_ref(hits[0]))
                second = [_ref(h) for h in hits[1:2]]
                if focus is not None and second in ([], [_ref(hits[0].parallel)]):
                    return self.compared(text, named.context, focus)
            return named
        topic = COMPARE_RE.sub(" ", q)
        for mention in reversed(find_docs(topic, self.qa.docs)):
            topic = topic[: mention.start] + " " + topic[mention.end :]
        topic = COMPARED_FRAME_RE.sub(" ", topic).strip(" ，,？?。")
        if not self.has_topic(topic):
            return None
        found = self.fresh(topic)
        focus = self.clause(found.context.focus) if found.context is not None else None
        if not found.answer.answered or focus is None or focus.parallel is None:
            return None
        return self.compared(text, found.context, focus)

    def compared(self, text: str, context: Context, focus: Clause) -> Turn:
        """A comparison asked in one message: a question of its own (logged with its clause),
        following on nothing, compared as asked."""
        turn = self.compare(text, context, focus, about="")
        turn.followup = ""
        return turn

    def asked_alone(self, q: str) -> str:
        """What a message with no topic of its own asks that no clause settles: "ruling" (这合法吗,
        算不算工伤: the documents rule on no one's case), "union" (工会能帮我吗, 工会管这个吗:
        whether the union helps), or ""."""
        if RULING_RE.search(q) and not self.has_topic(RULING_RE.sub(" ", q)):
            return "ruling"
        asked = UNION_HELP_ASKED_RE.search(q)
        if asked and not self.has_topic(q[: asked.start()] + " " + q[asked.end() :]):
            return "union"
        return ""

    # ------------------------------------------------------------------ small talk

    def smalltalk(self, q: str) -> tuple[str, str]:
        """(kind of small talk, the question left), or ("", q) when there is no small talk.
        Small talk counts only as whole phrases at the start or the end of a message."""
        latin = re.sub(r"(?<=[A-Za-z]) +(?=[A-Za-z])", "", q)  # thank you: one phrase
        segments = [seg for seg in SEGMENT_RE.split(EMOJI_RUN_RE.sub(r"，\1，", latin)) if seg]
        if segments and GREETING_PREFIX_RE.match(segments[0]):
            segments[:1] = ["你好", GREETING_PREFIX_RE.sub("", segments[0])]
        kinds = [self.smalltalk_kind(seg) for seg in segments]
        start, end = 0, len(segments)
        while start < end and kinds[start]:
            start += 1
        while end > start and kinds[end - 1]:
            end -= 1
        # Small talk counts at the ends only (产假多少天，唉，算了 is a question with a sigh in it).
        found = [k for k in kinds[:start] + kinds[end:] if k]
        if not found:
            return "", q
        kind = min(found, key=list(SMALLTALK).index)  # 你好，你是谁: introduce yourself
        return kind, "，".join(segments[start:end])

    @staticmethod
    def smalltalk_kind(segment: str) -> str:
        """The kind of chat a segment is, however it is dressed (谢谢啦😊, 多谢多谢, 哦哦好的)."""
        sad_face = bool(SAD_FACES_RE.search(segment))
        segment = NOT_WORDS_RE.sub("", segment.lower())
        if SMALLTALK_RE["ask"].fullmatch(segment):
            return "ask"
        segment = re.sub(r"^(请问|我想问一?下?)", "", segment)
        segment = re.sub(r"(.{2,3})\1+", r"\1", segment)  # 多谢多谢, 哈哈哈哈
        segment = re.sub(r"([哈嗯哦呵嘿])\1+", r"\1", segment)  # 嗯嗯, 哦哦
        if not segment:
            return "sad" if sad_face else "ok"  # only emoji or laughter
        forms = [segment]
        for _ in range(2):
            forms.append(PARTICLES_RE.sub("", forms[-1]))
        for form in dict.fromkeys(f for f in forms if f):
            for kind, pattern in SMALLTALK_RE.items():
                if pattern.fullmatch(form):
                    return kind
        head = re.match(r"(好的|收到|嗯|哦)(.+)", forms[-1])  # 哦好的, 收到谢谢
        if head:
            return Dialogue.smalltalk_kind(head.group(2))
        return ""

    @staticmethod
    def heard(turn: Turn, text: str) -> Turn:
        """The turn's answer opened with a word of comfort, unless it already opens with one."""
        answer = turn.answer
        if answer.intent == "smalltalk" or answer.lead.startswith(CARE_OPENINGS):
            return turn
        turn.answer = relead(answer, SAD_OPENING + answer.lead, text)
        return turn

    def smalltalk_reply(self, kind: str) -> str:
        examples = "\n".join(f"· {e}" for e in self.examples)
        replies = {
            "thanks": "不客气！还有想问的，随时找娘家人。",
            "bye": "再见！有需要随时来找娘家人。",
            "night": "晚安，早点休息！有事随时来问。",
            "intro": f"您好！有什么想问的，尽管说，娘家人听着。比如：\n{examples}",
            "ok": "好的。还有什么想问的吗？",
            "sad": (
                "抱抱您。遇到什么难处了？愿意的话跟娘家人说说：文件里有相关规定的，我帮您找出来。"
                "心里难受的时候，也可以拨打心理援助热线 12356，或职工服务热线 12351。"
            ),
            "ask": f"您请说，想问什么都可以。比如：\n{examples}",
            "praise": "谢谢夸奖！能帮上忙就好。还有想问的，随时找娘家人。",
            "blame": (
                "抱歉没帮上忙。可以换个说法再问一次，或者说说具体遇到了什么事；"
                "着急的话也可以拨打职工服务热线 12351。"
            ),
            "human": (
                "我是自动回答的娘家人，没法转人工。需要有人帮忙的话，可以找本单位工会，"
                "或拨打职工服务热线 12351。"
            ),
        }
        if kind in replies:
            return replies[kind]
        intro = (
            "我是娘家人，工会女职工工作政策的问答助手。"
            "您可以问文件里怎么规定、由哪个部门负责、某一条对应另一份文件的哪一条。"
        )
        greeting = "您好！" if kind == "greeting" else ""
        if kind == "robot":
            greeting = "我是自动回答的助手，不是真人。"
            intro = intro.replace("我是娘家人，", "名叫娘家人，是")
        return f"{greeting}{intro}\n比如：\n{examples}"

    # ------------------------------------------------------------------ fresh questions

    def fresh(self, text: str) -> Turn:
        """A question answered on its own; the context becomes what it answered."""
        wide = self.qa.ask(text, k=RANKING)
        answer = self.trimmed(wide)
        return Turn(answer, self.context_of(wide))

    @staticmethod
    def trimmed(answer: Answer, k: int = 3) -> Answer:
        """The answer as ``QA.ask(text, k)`` gives it (a list shows every clause)."""
        if answer.view == "list" or len(answer.hits) <= k:
            return answer
        return reply(
            answer.query,
            answer.intent,
            answer.answered,
            answer.lead,
            answer.hits[:k],
            answer.view,
            answer.context,
        )

    def context_of(self, answer: Answer) -> Context | None:
        if not answer.hits:
            return None  # a decline: nothing to follow up on
        if not answer.answered:  # a decline naming the nearest topics: those to follow up on
            return self.near_context(answer)
        shown = [_ref(h) for h in answer.shown] or [_ref(answer.hits[0])]
        top = answer.hits[0].score
        floor = min(h.score for h in answer.hits)
        ranked = [
            h
            for n, h in enumerate(answer.hits)
            if n < RANKING_KEPT
            or h.score - floor >= RANKING_SHARE * (top - floor)
            or _ref(h) in shown
        ]
        department = ""
        if answer.intent == "dept":
            department = self.qa.departments.resolve(answer.lead.split("是以下")[0]) or ""
        return Context(
            intent=answer.intent,
            focus=_ref(answer.hits[0]),
            ranking=[_ref(h) for h in ranked],
            shown=shown,
            department=department,
            sentences={_key(h): h.sentence for h in ranked},
            listed=answer.view == "list",
            # several clauses quoted one after another (a part, two close): 第二个 picks
            picks=shown if answer.view in ("quotes", "full") and len(shown) > 1 else [],
        )

    @staticmethod
    def near_context(answer: Answer) -> Context | None:
        """The context of a decline that named the nearest topics (by title, as it said them):
        the clauses of those titles; 第二个 picks the second title's first clause."""
        titles = list(dict.fromkeys(h.title for h in answer.hits[:NEAREST_TOPICS] if h.number))
        if not titles:
            return None
        hits = [h for h in answer.hits if h.title in titles]
        firsts = [next(h for h in hits if h.title == t) for t in titles]
        return Context(
            intent="search",
            focus=_ref(firsts[0]),
            ranking=[_ref(h) for h in hits],
            sentences={_key(h): h.sentence for h in hits},
            picks=[_ref(h) for h in firsts] if len(firsts) > 1 else [],
            near=True,
        )

    # ------------------------------------------------------------------ follow-ups

    def follow_up_kind(self, q: str, in_context: bool = True) -> str:
        """What kind of follow-up a message is, when it has no topic of its own ("" if none).
        A level named (全国的呢) stands for a document only after an answer (国家有什么规定,
        asked first, is a question)."""
        if CLAUSE_NO_RE.search(q):
            return ""  # 湖北方案第4项 names its clause
        core = _strip(q)
        if DUTIES_RE.fullmatch(core):
            return "duties"
        if REPEAT_RE.fullmatch(core):
            return "repeat"
        if SIMPLER_RE.fullmatch(core):
            return "simpler"
        if PICK_RE.fullmatch(core):
            return "pick"
        if NEXT_RE.fullmatch(core):
            return "next"
        if PREVIOUS_RE.fullmatch(core):
            return "previous"
        if WRONG_RE.match(core) and not self.has_topic(WRONG_RE.sub("", core)):
            return "alternative"
        if MORE_RE.match(core) and not self.has_topic(MORE_RE.sub("", core)):
            return "more"
        if SOURCE_RE.search(core) and not self.has_topic(SOURCE_RE.sub("", core)):
            return "source"
        if COMPARE_RE.search(core) and not self.has_topic(COMPARE_RE.sub("", core)):
            return "compare"
        if FULL_RE.search(core) and not self.has_topic(FULL_RE.sub("", core)):
            return "full"
        if (WHO_RE.search(q) or DUTY_WORDS_RE.search(q)) and not self.has_topic(q):
            return "who"
        named = find_docs(q, self.qa.docs) or (level_docs(q, self.qa.docs) if in_context else [])
        if (named or OTHER_DOCUMENT_RE.search(q)) and not self.has_topic(q):
            return "parallel"
        return ""

    def follow_up(self, text: str, q: str, context: Context) -> Turn | None:
        """The message resolved against the context, or None when it is a question of its own."""
        focus = self.clause(context.focus)
        if focus is None:
            return None
        kind = self.follow_up_kind(q)
        named = [m.code for m in find_docs(q, self.qa.docs)] or level_docs(q, self.qa.docs)
        pick = PICK_RE.fullmatch(_strip(q))
        choices = context.picks or (context.ranking if context.listed else [])
        if pick and not choices:
            lead = "上一条回答没有列出可选的条款；想看更多相关条款，可以说“还有吗”。"
            return self.nothing(text, "full", context, focus.place, lead)
        if pick and pick["n"] not in ("0", "零"):  # 第二个详细说说, after a list
            n = int(pick["n"]) if pick["n"].isdigit() else cn_to_int(pick["n"]) or 0
            about = f"上面列出的第 {n} 条"
            if not 1 <= n <= len(choices):
                lead = f"上面列出的只有 {len(choices)} 条。"
                return self.nothing(text, "full", context, about, lead)
            picked = self.clause(choices[n - 1])
            if picked is not None:
                return self.answered(text, "full", "clause", context, about, [picked], view="full")
        if kind in ("next", "previous"):
            return self.neighbour(text, context, focus, +1 if kind == "next" else -1)
        if kind == "alternative":
            return self.alternative(text, context, focus)
        if kind == "more":
            return self.more(text, context, focus)
        if kind == "full":
            return self.whole(text, context, focus)
        if kind == "source" and named and DOC_NUMBER_RE.search(q):  # 湖北方案的文号是多少
            return Turn(self.documents_named(text, named), context, followup="source")
        if kind == "source":
            return self.source(text, context, focus)
        if kind == "compare":
            return self.compare(text, context, focus)
        if kind == "who":
            return self.who(text, context, focus, named)
        if kind == "duties":
            return self.duties(text, context, focus)
        if kind == "repeat":
            return self.answered(text, "repeat", "clause", context, focus.place, [focus])
        if kind == "simpler":
            return self.simpler(text, context, focus)
        if kind == "parallel" and (named or focus.parallel is not None):
            return self.other_document(text, q, context, focus, named)
        match = ELLIPSIS_RE.match(q.rstrip("？?。 "))
        if match and self.is_subject(match.group("subject")):
            return self.ellipsis(text, context, focus, match.group("subject"))
        return None

    def is_subject(self, subject: str) -> bool:
        """Whether the X of 那X呢 is a subject to carry the last question over to (组织部,
        托育), not a question of its own (怀孕期间能不能加班呢) nor a mere 那."""
        subject = subject.strip(" ，,")
        if self.qa.departments.resolve(subject):
            return True
        return (
            len(subject) <= 8 and not QUESTION_WORDS_RE.search(subject) and self.has_topic(subject)
        )

    def clarify(self, kind: str) -> str:
        """What to say to a follow-up (of this kind) with nothing to follow; a message naming
        a document (湖北方案讲了什么) is a question of its own, never this."""
        if kind in (
            "full",
            "next",
            "previous",
            "more",
            "alternative",
            "source",
            "compare",
            "repeat",
            "simpler",
            "pick",
        ):
            return (
                f"您想看哪一条？可以先问一个问题，或者直接发条款编号，例如：{self.clause_example}。"
            )
        example = self.examples[1] if len(self.examples) > 1 else "哺乳室由哪个部门负责？"
        return CLARIFY + example

    def has_topic(self, q: str) -> bool:
        """Whether a message says what it is about, beyond the words of a follow-up."""
        spans = sorted((m.start, m.end) for m in find_docs(q, self.qa.docs))
        for start, end in reversed(spans):
            q = q[:start] + " " + q[end:]
        q = CLAUSE_NO_RE.sub(" ", q)
        q = WHO_RE.sub(" ", q)
        q = DUTY_WORDS_RE.sub(" ", q)
        q = OTHER_DOCUMENT_RE.sub(" ", q)
        q = FRAME_RE.sub(" ", q)
        words = self.qa.retriever.tokenizer.words(q)
        return any(len(w) >= 2 and re.search(r"[\u3400-\u9fff]", w) for w in words)

    def clause(self, ref: list[str] | None) -> Clause | None:
        if not ref:
            return None
        return self.qa.clause_of(ClauseRef(*ref))

    def answered(
        self,
        text: str,
        kind: str,
        intent: str,
        context: Context,
        about: str,
        clauses: list[Clause],
        lead: str = "",
        view: str = "quote",
    ) -> Turn:
        """A follow-up's answer and the context it leaves."""
        hits = [self.qa.hit(c, best=context.sentence(c)) for c in clauses]
        if context.near:  # after a decline: what follows is the nearest topic, not the answer
            lead = f"{NEAR_NOTE}\n{lead}" if lead else NEAR_NOTE
            context.near = False
        answer = reply(text, intent, True, _following(about, lead), hits, view, about)
        context.focus = _ref(clauses[0])
        context.shown += [_ref(c) for c in clauses if _ref(c) not in context.shown]
        return Turn(answer, context, followup=kind, resolved_against=about)

    def nothing(self, text: str, kind: str, context: Context, about: str, lead: str) -> Turn:
        answer = reply(text, "search", False, _following(about, lead), view="none", context=about)
        return Turn(answer, context, followup=kind, resolved_against=about)

    def who(self, text: str, context: Context, focus: Clause, named: list[str]) -> Turn:
        """谁负责: the 责任单位 of the clause discussed, or of its parallel when it lists none."""
        target, lead = self.qa.responsible(focus, named)
        if not target.departments:
            return self.nothing(text, "who", context, focus.place, lead)
        return self.answered(text, "who", "who", context, focus.place, [target], lead)

    def simpler(self, text: str, context: Context, focus: Clause) -> Turn:
        """说简单点: what the clause is about, in its own heading, and the sentence that
        answered (the documents' words: nothing is made up)."""
        if context.listed or context.intent == "dept":  # after a list: which one first
            lead = "上面是一份清单。想看哪一条，可以说“第几个”；看到那一条后，再说“说简单点”。"
            return self.nothing(text, "simpler", context, focus.place, lead)
        lead = f"简单说，这一条讲的是“{focus.title}”。和您问的最相关的是这一句："
        return self.answered(text, "simpler", "clause", context, focus.place, [focus], lead)

    def duties(self, text: str, context: Context, focus: Clause) -> Turn:
        """那它还负责什么: after a department's list, that it was the whole of it; after a
        clause, the work of the one department responsible for it, or of several, which one."""
        if context.intent == "dept" and context.department:  # 它还负责什么 after its list
            count = len(self.qa.department_clauses(context.department))
            lead = f"上面列的就是{context.department}负责的全部 {count} 项工作。"
            return self.nothing(text, "duties", context, f"{context.department}的职责", lead)
        target, lead = self.qa.responsible(focus)
        departments = target.departments
        about = focus.place
        if not departments:
            return self.nothing(text, "duties", context, about, lead)
        whose = "" if target is focus else f"（{target.place}列的）"
        if len(departments) > 1:
            lead = (
                f"这项工作的责任单位{whose}有 {len(departments)} 个：{'、'.join(departments)}。"
                f"想看哪个部门负责的全部工作，可以直接问，例如：{departments[0]}负责哪些工作？"
            )
            return self.nothing(text, "duties", context, about, lead)
        return self.carried(text, self.qa.ask_department(departments[0]), context, "duties", about)

    def other_document(
        self, text: str, q: str, context: Context, focus: Clause, named: list[str]
    ) -> Turn:
        """湖北是怎么落实的 / 对应哪条: the clause's counterpart in the other document."""
        parallel = self.clause(_ref(focus.parallel))
        target_doc = named[-1] if named else (parallel.doc_code if parallel else focus.doc_code)
        if focus.doc_code == target_doc:  # 湖北怎么落实的, after 谁负责 moved to the plan's item
            lead = f"就是{focus.place}" + (f"（对应{parallel.place}）" if parallel else "")
            if HOW_SAID_RE.search(q):  # how it is carried out: the whole of it
                return self.answered(
                    text, "parallel", "clause", context, focus.place, [focus], lead + "：", "full"
                )
            return self.answered(
                text, "parallel", "clause", context, focus.place, [focus], lead + "。"
            )
        if parallel is not None and parallel.doc_code == target_doc:
            lead = f"对应的是{parallel.place}："
            if HAS_IT_RE.search(q):  # 全国文件有这个吗: whether it says what was just quoted
                lead = self.has_it(context, focus, parallel) + lead
            return self.answered(
                text, "parallel", "clause", context, focus.place, [parallel], lead, "full"
            )
        mask = self.qa.doc_mask([target_doc])
        ranked = self.qa.retriever.search(f"{focus.title}。{focus.text}", k=1, mask=mask)
        if not ranked:
            lead = f"{self.qa.doc_name(target_doc)}里没有找到对应的条款。"
            return self.nothing(text, "parallel", context, focus.place, lead)
        lead = "没有直接对应的条款，最接近的是："
        clauses = [ranked[0].clause]
        return self.answered(text, "parallel", "clause", context, focus.place, clauses, lead)

    def has_it(self, context: Context, focus: Clause, parallel: Clause) -> str:
        """Whether ``parallel`` says the sentence of ``focus`` that answered: yes, in part
        (what it leaves out), or no; phrase by phrase, as a comparison reads them."""
        sentences = focus.sentences
        index = context.sentence(focus) or 0
        sentence = sentences[index] if 0 <= index < len(sentences) else focus.text
        said = phrases(sentence)
        left = unsaid_in(sentence, parallel)
        name = self.qa.doc_name(parallel.doc_code)
        if not said or not left:
            return "有。"
        if len(left) == len(said):
            return f"按字面比对，{name}没有这句话的说法（“{shorten(sentence, 40)}”）。同一项工作"
        return f"按字面比对，{name}没有这些说法：{_phrase_list(left)}。同一项工作"

    def whole(self, text: str, context: Context, focus: Clause) -> Turn:
        """详细说说 / 全文: the whole text of the clause discussed."""
        return self.answered(text, "full", "clause", context, focus.place, [focus], view="full")

    def source(self, text: str, context: Context, focus: Clause) -> Turn:
        """出自哪一条: the document and clause the answer comes from, and its counterpart."""
        doc = self.qa.by_code[focus.doc_code]
        lead = f"出自{focus.place}，即{book_title(doc.title)}（{doc.code}）。"
        partner = self.clause(_ref(focus.parallel))
        if partner is not None:
            lead += f"对应的是{partner.place}。"
        return self.answered(text, "source", "clause", context, focus.place, [focus], lead, "none")

    def compare(self, text: str, context: Context, focus: Clause, about: str | None = None) -> Turn:
        """两个有什么区别: what the clause and its counterpart each say that the other does not,
        the document implemented first. ``about``: what it follows on (default: the clause)."""
        about = focus.place if about is None else about
        partner = self.clause(_ref(focus.parallel))
        if partner is None:
            lead = "这一条在另一份文件里没有对应的条款，没有可以比较的。"
            return self.nothing(text, "compare", context, about, lead)
        by_code = self.qa.by_code
        # Each side with the clauses that share its counterpart (全总意见 (一) and (二) are both
        # 湖北方案 一、总体要求): compared as one text.
        ours = sharing(focus, partner, by_code[focus.doc_code])
        theirs = sharing(partner, focus, by_code[partner.doc_code])
        first, second = (
            (theirs, ours)
            if implements(by_code[focus.doc_code], by_code[partner.doc_code])
            else (ours, theirs)
        )
        diff = differences(first, second)
        name1, name2 = self.qa.doc_name(first[0].doc_code), self.qa.doc_name(second[0].doc_code)
        place1, place2 = ("、".join(c.place for c in side) for side in (first, second))
        lines = [f"{place1}和{place2}讲的是同一项工作，逐句比对原文："]
        if diff.only_second:
            lines.append(f"{name2}有、{name1}没有的说法：{_phrase_list(diff.only_second)}。")
        if diff.only_first:
            lines.append(f"{name1}有、{name2}没有的说法：{_phrase_list(diff.only_first)}。")
        if not diff.only_first and not diff.only_second:
            lines.append("两条的文字基本一致。")
        else:
            lines.append("（按字面比对：意思相近、说法不同的也会列出。）")
        for side, other, name in ((first, second, name1), (second, first, name2)):
            listed = list(dict.fromkeys(d for c in side for d in c.departments))
            if listed and not any(c.departments for c in other):
                lines.append(f"{name}还写明了责任单位：" + "、".join(listed) + "。")
        lead = "\n".join(lines)
        clauses = [*first, *second]
        turn = self.answered(text, "compare", "clause", context, about, clauses, lead, "list")
        context.focus = _ref(focus)  # still the clause discussed (谁负责 asks of it)
        context.ranking, context.listed = [_ref(c) for c in clauses], True  # 第二个 picks one
        context.picks = []
        return turn

    def documents_named(self, text: str, codes: list[str]) -> Answer:
        """Each document's full title and 文号 (湖北方案的文号是多少)."""
        lines = []
        for code in dict.fromkeys(codes):
            doc = self.qa.by_code[code]
            lines.append(f"{self.qa.doc_name(code)}的文号是{code}，全称{book_title(doc.title)}。")
        return reply(text, "search", True, "\n".join(lines), view="none")

    def documents_compared(self, text: str, then: str = "有什么区别") -> Answer:
        """How the loaded documents relate: which implements which, how many of its clauses
        match one of the other's, who lists 责任单位; then how to ask ``then`` of one clause."""
        docs = self.qa.docs
        lines = []
        for doc, other in ((d, o) for d in docs for o in docs if d is not o and implements(d, o)):
            ours = [c for c in doc.clauses if c.number]
            theirs = [c for c in other.clauses if c.number]
            linked = sum(1 for c in ours if c.parallel and c.parallel.doc_code == other.code)
            name, other_name = self.qa.doc_name(doc.code), self.qa.doc_name(other.code)
            lines.append(
                f"{book_title(doc.title)}（{doc.code}）是落实{book_title(other.title)}"
                f"（{other.code}）的文件：{other_name}有 {len(theirs)} 条，"
                f"{name}有 {len(ours)} 条，其中 {linked} 条与{other_name}的条款一一对应。"
            )
            if any(c.departments for c in ours) and not any(c.departments for c in theirs):
                lines.append(f"{name}为各项工作写明了责任单位，{other_name}没有列。")
        if not lines:
            lines.append("现在的几份文件之间没有落实与被落实的关系，没有逐条对应的条款可比。")
        what = "的具体区别" if then == "有什么区别" else "怎么落实"
        lines.append(
            f"想看某一条{what}，可以先发条款编号（例如：{self.clause_example}），再问“{then}”。"
        )
        return reply(text, "search", True, "\n".join(lines), view="none")

    def more(self, text: str, context: Context, focus: Clause) -> Turn:
        """还有吗: the next clauses of the last ranking not yet shown."""
        fresh = [r for r in context.ranking if r not in context.shown]
        clauses = [c for c in (self.clause(r) for r in fresh[:MORE]) if c is not None]
        if not clauses:
            return self.nothing(text, "more", context, focus.place, "没有更多相关条款了。")
        lead = "还有这些相关条款："
        turn = self.answered(
            text, "more", context.intent, context, focus.place, clauses, lead, "quotes"
        )
        context.picks = [_ref(c) for c in clauses] if len(clauses) > 1 else []  # 第二个 picks
        return turn

    def alternative(self, text: str, context: Context, focus: Clause) -> Turn:
        """不对: the next clause of the last ranking, the rejected answer noted."""
        rejected = context.answer_ref
        # Not a clause already shown, nor the counterpart of one (it says the same), nor a
        # notice or preamble.
        shown = [c for c in map(self.clause, context.shown) if c is not None]
        said = {tuple(_ref(c)) for c in shown}
        said |= {tuple(_ref(c.parallel)) for c in shown if c.parallel}
        candidates = (self.clause(r) for r in context.ranking if tuple(r) not in said)
        clause = next((c for c in candidates if c is not None and c.number), None)
        if clause is None:
            lead = "抱歉，没有找到更合适的条款。可以换个说法再问一次。"
            turn = self.nothing(text, "alternative", context, focus.place, lead)
        else:
            lead = "那可能是这一条："
            turn = self.answered(
                text, "alternative", context.intent, context, focus.place, [clause], lead
            )
        turn.rejected_ref = rejected
        return turn

    def neighbour(self, text: str, context: Context, focus: Clause, step: int) -> Turn:
        """下一项 / 上一条: the next or previous numbered clause of the same document."""
        doc = self.qa.by_code[focus.doc_code]
        numbered = [c for c in doc.clauses if c.number]
        kind = "next" if step > 0 else "previous"
        if focus not in numbered:
            index = -1 if step > 0 else len(numbered)
        else:
            index = numbered.index(focus)
        if not 0 <= index + step < len(numbered):
            lead = "这已经是最后一条了。" if step > 0 else "这已经是第一条了。"
            return self.nothing(text, kind, context, focus.place, lead)
        target = numbered[index + step]
        context.ranking = [_ref(target)]
        return self.answered(text, kind, "clause", context, focus.place, [target], view="full")

    def ellipsis(self, text: str, context: Context, focus: Clause, subject: str) -> Turn | None:
        """那X呢: the last question's intent, asked of X."""
        subject = subject.strip(" ，,")
        if not subject:
            return None
        department = self.qa.departments.resolve(subject)
        if context.intent == "dept" or department is not None:
            if department is None:
                return None
            answer = self.qa.ask_department(department)
            about = f"{context.department}的职责" if context.department else focus.place
        elif context.intent == "clause" and CLAUSE_NO_RE.search(subject):
            named = find_docs(subject, self.qa.docs)
            prefix = "" if named else self.qa.doc_name(focus.doc_code)
            answer = self.qa.ask(prefix + subject)
            about = focus.place
        elif context.intent == "who":
            answer = self.qa.ask(f"{subject}由哪些部门负责", k=RANKING)
            about = focus.place
        else:
            answer = self.qa.ask(subject, k=RANKING)
            about = focus.place
        if not answer.answered:  # 明天天气怎么样 is no follow-up: answered as a question of its own
            return None
        return self.carried(text, answer, context, "ellipsis", about)

    def carried(self, text: str, answer: Answer, context: Context, kind: str, about: str) -> Turn:
        """A question asked for the user (那组织部呢, 它还负责什么), answered as a follow-up of
        ``kind``: said to be resolved against ``about``, its own context taking over."""
        new = self.context_of(answer) or context
        answer = self.trimmed(answer)
        answer = reply(
            text,
            answer.intent,
            answer.answered,
            _following(about, answer.lead),
            answer.hits,
            answer.view,
            about,
        )
        return Turn(answer, new, followup=kind, resolved_against=about)


def example_questions(qa: QA, n: int = 3) -> list[str]:
    """Example questions drawn from the loaded documents: clause titles as people ask them."""
    with_depts = [c for c in qa.retriever.clauses if c.number and c.departments]
    others = [c for c in qa.retriever.clauses if c.number and not c.departments]
    picks: list[str] = []
    first = others[len(others) // 3].title if others else ""
    if first:
        picks.append(f"{first}是怎么规定的？")
    distinct = [c for c in with_depts if c.title != first]
    if distinct:
        picks.append(f"{distinct[len(distinct) // 4].title}由哪些部门负责？")
    example = clause_example(qa)
    if example:
        picks.append(f"{example}讲了什么？")
    return picks[:n]


def clause_example(qa: QA) -> str:
    """A clause of the loaded documents as people would ask for it: 湖北方案第3项."""
    doc = qa.docs[-1]
    numbered = [c for c in doc.clauses if c.number]
    if not numbered:
        return ""
    number = numbered[min(3, len(numbered) - 1)].number
    where = f"第{number}项" if number.isdigit() else f"第{number}条"
    return f"{doc.short_name}{where}"
