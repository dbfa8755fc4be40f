"""Whether to answer at all: a small fitted model over retrieval evidence.

A question is declined when the clauses found do not answer it: 产假有多少天 finds the
clause on 女职工特殊权益, which states no number of days. The decision is a logistic model
over evidence any document gives (how close the best clause is in meaning, how many of the
question's words it holds, how far it leads the next one, whether the question asks for a
quantity the clause does not state), fitted by ``bot.core.tuning`` with cross-validation and
cut where at most a few answerable questions are declined. No feature reads a document's own
wording, so the model works on documents added later.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

FEATURES = (
    "dense",  # the best clause's cosine to the question
    "dense_gap",  # how far that cosine leads the next clause's
    "bigrams",  # the best clause's bigram BM25 per character of the question
    "coverage",  # share of the question's words found in the best clause
    "margin",  # how far the best clause's fused score leads the next one's (share of it)
    "quantity_unstated",  # asks 多少/几天 and the quoted sentences state no quantity
)

QUANTITY_RE = re.compile(
    r"多少|多长|多久|(?<!好)几(天|个月|年|次|个小时|小时|周|倍|岁|块|元)|多大|比例是|标准是|金额|天数|时长"
)
NUMBER_RE = re.compile(r"\d|[一二三四五六七八九十百千万]+(天|个月|年|次|小时|%|倍|元)")
# "How often" is answered by a frequency as well as by a number: 定期, 每年, 常态化.
FREQUENCY_Q_RE = re.compile(r"多久|多长时间|几次|频率|隔多")
FREQUENCY_RE = re.compile(r"定期|每(年|季度|季|月|周|半年|届)|经常|常态化|长期")


# A question asking for a ruling on her own case: whether something is lawful, what it counts
# as, whether she may refuse or claim, what she is paid or docked, how a procedure of hers goes.
RULING_RE = re.compile(
    r"合法(吗|么|嘛|不|的吗)|是否合法|不合法|违法|犯法|违规(吗|么|不)|侵权(吗|么|不)"
    r"|算(不算)?(是)?(工伤|病假|事假|旷工|歧视|违约|加班|劳动关系|劳动者|违法|违规|侵权)"
    r"|(能|可)不(能|可以)(拒绝|不(去|上|来|干|加|做|续|签|交)|告|起诉|索赔|要求赔|领|报销|退)"
    r"|可以(拒绝|不(去|上|干|加|做|续|签|交))|有没有权|有权(利)?(拒绝|要求)"
    r"|能这么|能这样|可以这样|这样(做)?(行|对|合理)(吗|不)"
    r"|扣不扣|扣(我|俺)?的?(钱|工资)|发不发|给不给(钱|工资|补贴|报销)|赔(偿)?多少|补偿多少|怎么赔"
    r"|(怎么|如何)走?流程|手续|(要|准备)(哪些|什么|啥)材料|(去|到)哪(里|儿)?(办|申请|立案|举报|投诉|领)"
    r"|(怎么|咋|如何)(才能)?(申请|办理|报销|领取|认定|起诉|仲裁|加入|入会|报名|登记|预约)"
    r"|(能|会|可以)被?(开除|辞退|解雇|裁)(吗|么|嘛|不)|会不会被(开除|辞退|解雇|裁)"
)
# A passage that rules: an obligation, a prohibition, a right or a permission.
RULE_STATED_RE = re.compile(
    r"不得|应当|必须|禁止|有权|享有|享受|依法|依照|可以|可从|可按|可由|可在"
)


def ruling_unstated(question: str, quote: str) -> bool:
    """The question asks for a ruling on a case (合法吗, 算不算工伤, 能不能拒绝, 扣不扣钱, 去哪办)
    and the quote rules nothing: what a policy of 推动 and 支持 cannot settle."""
    return bool(RULING_RE.search(question)) and not RULE_STATED_RE.search(quote)


def quantity_unstated(question: str, quote: str) -> bool:
    """The question asks for a quantity (天数, 比例, 多久) and the quote gives none."""
    if not QUANTITY_RE.search(question) or NUMBER_RE.search(quote):
        return False
    return not (FREQUENCY_Q_RE.search(question) and FREQUENCY_RE.search(quote))


@dataclass
class Evidence:
    """What retrieval found for one question, as the decline model reads it."""

    dense: float
    dense_gap: float
    bigrams: float
    coverage: float
    margin: float
    quantity_unstated: float

    def vector(self) -> list[float]:
        return [float(getattr(self, name)) for name in FEATURES]


@dataclass
class DeclineModel:
    """Logistic regression on standardised evidence; answers when P(answerable) ≥ threshold.

    ``threshold`` 0 answers everything (a test's fake encoder has no meaningful cosines).
    """

    weights: dict[str, float] = field(default_factory=dict)
    intercept: float = 0.0
    mean: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.0
    model: str = ""  # the embedding model the cosines came from
    fitted_on: str = ""

    def probability(self, evidence: Evidence) -> float:
        """P(the question is answerable by what was found)."""
        z = self.intercept
        for name in FEATURES:
            if name in self.weights:
                x = getattr(evidence, name)
                z += (
                    self.weights[name]
                    * (x - self.mean.get(name, 0.0))
                    / (self.scale.get(name, 1.0) or 1.0)
                )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def declines(self, evidence: Evidence) -> bool:
        return self.threshold > 0 and self.probability(evidence) < self.threshold

    @classmethod
    def never(cls) -> DeclineModel:
        return cls()

    @classmethod
    def quantity_only(cls) -> DeclineModel:
        """Declines only a question asking for a quantity its clause does not state: what is
        left when the fitted model belongs to another embedding model (its cosine weight would
        read another model's cosines as nonsense)."""
        return cls(weights={"quantity_unstated": -1.0}, intercept=0.5, threshold=0.5)

    def fits(self, model: str) -> bool:
        """Whether the model was fitted on this embedding model's cosines (an unfitted one
        reads none)."""
        return not self.weights or not self.model or self.model == model

    @classmethod
    def load(cls, path: Path) -> DeclineModel:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8")).get("decline", {})
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict:
        return asdict(self)
