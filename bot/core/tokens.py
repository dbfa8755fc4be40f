"""Tokenising Chinese for keyword search: jieba words, character bigrams, everyday synonyms.

jieba gets a user dictionary drawn from the documents' own terms (quoted brand names,
《》 titles, departments, clause titles), so 母婴室 or 玫瑰书香 stay whole. Synonyms map
everyday words (吸奶, 相亲, 外卖骑手) to the register of policy documents (哺乳, 婚恋交友,
新就业形态); the table lives in ``bot/core/data/synonyms.txt`` and holds general Chinese usage only.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import ChainMap
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CJK_WORD = re.compile(r"[\u3400-\u9fff]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:\.[0-9]+)?%?")

# Function words, question words and chat filler: they say nothing about the topic.
STOPWORDS = frozenset(
    """
    的 了 吗 呢 啊 吧 呀 嘛 哦 么 是 在 有 和 与 及 或 也 都 就 还 又 要 会 能 可以 可 把 被 让
    给 对 为 以 将 从 到 向 于 等 这 那 这个 那个 这些 那些 这项 这条 一个 一些 什么 怎么 怎样
    怎么样 如何 哪 哪些 哪个 哪里 哪儿 哪一条 哪条 哪项 多少 几 是否 有没有 有无 没有 是不是
    能不能 可不可以 请问 请 问 想 想问 知道 我 我们 你 你们 他 她 它 他们 她们 咱们 自己 大家
    人 得 着 过 很 太 更 最 非常 一下 一点 具体 相关 方面 关于 里 里面 上 下 中 其中 啥 咋
    吗？ 呢？ 嗯 哈 呃 诶 么样 说 讲 提 提到 规定 文件 政策 意见 方案 条 项 款
    单位
    """.split()
)
# 单位 in a question is where the asker works (我们单位, 单位有没有哺乳室), as 我们 is who she
# is; matched, it drew such questions to a notice's list of addressees (各单位). 用人单位 and
# 责任单位 are words of their own and stay.


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width), lower case, collapsed spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


def bigrams(text: str) -> list[str]:
    """Character bigrams of each CJK run (single characters for runs of one); ASCII words whole."""
    out: list[str] = []
    for run in CJK_RUN.findall(normalise(text)):
        if not ("\u3400" <= run[0] <= "\ufaff"):
            out.append(run)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


TOKENS_VERSION = 1  # raise when a change in this module cuts document text differently


@lru_cache(maxsize=1)
def tokens_fingerprint() -> str:
    """What decides how document text is cut into words: the synonym table (its words are
    jieba words), the stopwords and this module's version. An index records it."""
    import hashlib

    digest = hashlib.sha256(f"{TOKENS_VERSION}\n".encode())
    digest.update((DATA_DIR / "synonyms.txt").read_bytes())
    digest.update(" ".join(sorted(STOPWORDS)).encode())
    return digest.hexdigest()[:16]


def load_synonyms(path: Path | None = None) -> dict[str, list[str]]:
    """``word = expansion expansion …`` lines; ``#`` starts a comment."""
    path = path or DATA_DIR / "synonyms.txt"
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        left, right = line.split("=", 1)
        expansions = right.split()
        for word in left.split():
            table.setdefault(word, []).extend(e for e in expansions if e != word)
    return table


@lru_cache(maxsize=1)
def _jieba():
    """The jieba module, told once to keep its start-up chatter out of our log (and a cache
    it cannot write, on a full disk, is no error of ours: it builds the dictionary again)."""
    import jieba

    jieba.setLogLevel(logging.CRITICAL)
    return jieba


_cache_dir: Path | None = None


def keep_dictionary_cache(folder: Path) -> None:
    """Keep jieba's prefix dictionary (read back by ``marshal`` in about half a second, where
    building it from jieba's word list takes about 1.5 s) in ``folder`` rather than the system's
    temporary folder, which a service may not share or keep. Call before the first cut."""
    global _cache_dir
    _cache_dir = Path(folder)


_base = None
_base_lock = threading.Lock()


def base_dictionary():
    """The one plain jieba tokenizer of the process (its prefix dictionary is about 70 MB):
    ``segment`` cuts with it, and every ``Tokenizer`` reads through to it."""
    global _base
    with _base_lock:
        if _base is None:
            base = _jieba().Tokenizer()
            if _cache_dir is not None:
                try:
                    _cache_dir.mkdir(parents=True, exist_ok=True)
                    base.tmp_dir = str(_cache_dir)
                except OSError:
                    pass  # jieba's temporary folder then
            base.initialize()
            _base = base
    return _base


def segment(text: str, for_search: bool = True) -> list[str]:
    """Plain jieba words of ``text`` (no document terms, stopwords kept; the finer search mode
    by default), for indexing and searching free text such as the query log's questions."""
    plain = base_dictionary()
    words = plain.cut_for_search(text) if for_search else plain.cut(text)
    return [w.strip() for w in words if w.strip() and any(ch.isalnum() for ch in w)]


@lru_cache(maxsize=1)
def _common_word_frequency() -> float:
    """The mean frequency of the dictionary's two-character words: a word seen more often is
    an ordinary word, not somebody's short form."""
    counts = [f for w, f in base_dictionary().FREQ.items() if len(w) == 2 and f > 0]
    return sum(counts) / max(1, len(counts))


@lru_cache(maxsize=1)
def _reading_table() -> dict[int, str]:
    """Every character's readings, toneless (劲: "jin,jing"), from pypinyin's own table read as
    data: importing pypinyin itself would also load its phrase dictionary (about 55 MB)."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("pypinyin")
    folder = Path(next(iter(spec.submodule_search_locations or []), "")) if spec else None
    table_file = folder / "pinyin_dict.json" if folder else None
    if table_file is None or not table_file.exists():  # a pypinyin laid out otherwise
        from pypinyin.pinyin_dict import pinyin_dict

        raw = {str(k): v for k, v in pinyin_dict.items()}
    else:
        raw = json.loads(table_file.read_text(encoding="utf-8"))

    def toneless(readings: str) -> str:
        plain = unicodedata.normalize("NFD", readings).replace("\u0308", "v")
        return "".join(ch for ch in plain if not unicodedata.combining(ch))

    return {int(code): toneless(readings) for code, readings in raw.items()}


@lru_cache(maxsize=8192)
def readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character (劲: jin, jing)."""
    found = _reading_table().get(ord(char), "")
    return frozenset(r for r in found.split(",") if r)


# The sounds a pinyin input method's fuzzy options merge, because many speakers do: zh/z,
# ch/c, sh/s, n/l at the start (湖北话 says 女 and 吕 alike), -ng/-n at the end (ing/in,
# eng/en, ang/an).
_FUZZY_INITIAL = re.compile(r"^([zcs])h|^n(?=[aeiouv])")
_FUZZY_FINAL = re.compile(r"(?<=[aei])ng$")


@lru_cache(maxsize=8192)
def fuzzy_reading(char: str) -> str:
    """A character's first (most common) reading with the fuzzy pairs merged (女 nv → lv,
    金 jin and 颈 jing → jin); "" for a character without one. Only the first: a rare reading
    merged as well (省 xian ~ 想 xiang) would make typos of ordinary words."""
    first = _reading_table().get(ord(char), "").split(",")[0]
    return _FUZZY_FINAL.sub("n", _FUZZY_INITIAL.sub(lambda m: m.group(1) or "l", first))


def sounds_alike(a: str, b: str) -> bool:
    """Two characters a pinyin input method could swap: a reading in common, or first readings
    that the fuzzy pairs merge."""
    return bool(readings(a) & readings(b)) or fuzzy_reading(a) == fuzzy_reading(b) != ""


class Respeller:
    """Typos and homophones in a question, mended against the documents' own words: a run of
    the question that is no word but differs from a document word in one character that sounds
    the same (宫劲癌 → 宫颈癌, 数字计能 → 数字技能), as a pinyin input method mistypes."""

    def __init__(
        self, vocabulary: Iterable[str], known: Callable[[str], bool], said: str = ""
    ) -> None:
        self.vocabulary = {w for w in vocabulary if 2 <= len(w) <= 6 and CJK_WORD.fullmatch(w)}
        self.known = known  # words of the language (jieba's dictionary): not typos
        self.said = said  # the documents' text, titles too: what they say is no typo (数智)
        self._masked: dict[str, list[tuple[str, int]]] = {}
        for word in self.vocabulary:
            for i in range(len(word)):
                self._masked.setdefault(word[:i] + "?" + word[i + 1 :], []).append((word, i))

    def mend(self, tokens: list[str]) -> list[str]:
        """The document words a question seems to mean where it mistyped them. ``tokens`` are
        the question's jieba tokens: a typo shows as a token no dictionary knows, or as single
        characters left over, so only those (and runs of single characters) are mended."""
        found: list[str] = []
        for _, word in self.mends(tokens):
            if word not in found:
                found.append(word)
        return found

    def mends(self, tokens: list[str]) -> list[tuple[str, str]]:
        """Each mistyped run of the question with a document word it seems to mean."""
        cjk = [t if CJK_WORD.fullmatch(t) and t not in STOPWORDS else "" for t in tokens]
        pieces: list[str] = []
        for i, token in enumerate(cjk):
            odd = len(token) == 1 or (len(token) >= 2 and not self.known(token))
            if not token or not odd:
                continue
            if len(token) >= 2:
                pieces.append(token)
            # A typo often splits a word: 玫瑰/书乡, 加油/栈.
            before = cjk[i - 1] if i else ""
            after = cjk[i + 1] if i + 1 < len(cjk) else ""
            pieces += [p for p in (before + token, token + after) if p != token and len(p) <= 6]
        found: list[tuple[str, str]] = []
        for piece in pieces:
            if piece in self.vocabulary or piece in self.said:
                continue
            for i in range(len(piece)):
                for word, _ in self._masked.get(piece[:i] + "?" + piece[i + 1 :], ()):
                    if (piece, word) not in found and sounds_alike(piece[i], word[i]):
                        found.append((piece, word))
        return found


class Tokenizer:
    """jieba with the documents' own terms, stopwords removed, synonyms appended on demand,
    typos mended against the documents' words."""

    def __init__(
        self,
        terms: Iterable[str] = (),
        synonyms: dict[str, list[str]] | None = None,
        texts: Iterable[str] = (),
    ):
        self.synonyms = load_synonyms() if synonyms is None else synonyms
        # The documents' words over the shared dictionary, which stays as it is.
        base = base_dictionary()
        self._jieba = _jieba().Tokenizer()
        self._jieba.FREQ = ChainMap({}, base.FREQ)
        self._jieba.total = base.total
        self._jieba.initialized = True
        self.terms = sorted({t for t in terms if 2 <= len(t) <= 12})
        for term in self.terms:
            self._jieba.add_word(term, freq=2000)
        for word in self.synonyms:
            if len(word) >= 2 and re.fullmatch(r"[\u3400-\u9fff]+", word):
                self._jieba.add_word(word, freq=1000)
        self._cached = lru_cache(maxsize=4096)(self._words)
        self._texts = list(texts)
        self._respeller: Respeller | None = None
        self._abbreviations: dict[str, tuple[str, ...]] | None = None
        self._respeller_lock = threading.Lock()

    def warm(self) -> None:
        """Build what the first question would otherwise wait for (the typo index, pinyin)."""
        if self._texts:
            self.respeller.mend(["字", "字"])
            readings("字")
            _ = self.abbreviations

    @property
    def respeller(self) -> Respeller:
        """Built on first use from the documents' words (a few milliseconds)."""
        with self._respeller_lock:
            if self._respeller is None:
                words = {w for t in self._texts for w in self._jieba.lcut(t)} | set(self.terms)
                freq = self._jieba.FREQ
                # Two characters of the documents that make a word (书香 in 玫瑰书香).
                words |= {g for t in self._texts for g in bigrams(t) if freq.get(g, 0) > 0}
                said = "\n".join([*self._texts, *self.terms])
                self._respeller = Respeller(words, lambda w: freq.get(w, 0) > 0, said)
        return self._respeller

    @property
    def abbreviations(self) -> dict[str, tuple[str, ...]]:
        """Short forms of the documents' four-character phrases, as people shorten them: the
        first character of each half (社会保险 → 社保, 选优配强 → 选配, 劳动保护 → 劳保). A
        short form the documents themselves say is their own word and stays out, and so does one
        that is a commoner word than the average two-character word of the dictionary: 加工 is
        not 加强工会, 积分 not 积极分子. Built on first use, like the respeller."""
        with self._respeller_lock:
            if self._abbreviations is None:
                found: dict[str, set[str]] = {}
                for text in self._texts:
                    cut = self._jieba.lcut(text)
                    phrases = [w for w in cut if len(w) == 4]
                    phrases += [a + b for a, b in pairwise(cut) if len(a) == len(b) == 2]
                    for phrase in phrases:
                        if CJK_WORD.fullmatch(phrase):
                            found.setdefault(phrase[0] + phrase[2], set()).add(phrase)
                said = "\n".join([*self._texts, *self.terms])
                freq = base_dictionary().FREQ
                common = _common_word_frequency()
                self._abbreviations = {
                    short: tuple(sorted(long))
                    for short, long in found.items()
                    if short not in said and short not in STOPWORDS and freq.get(short, 0) < common
                }
        return self._abbreviations

    def _words(self, text: str) -> tuple[str, ...]:
        out = []
        for run in CJK_RUN.findall(normalise(text)):
            for w in self._jieba.lcut(run, HMM=True):
                if w and w not in STOPWORDS:
                    out.append(w)
        return tuple(out)

    def words(self, text: str) -> list[str]:
        """jieba words without stopwords."""
        return list(self._cached(text))

    def expand(self, text: str) -> list[str]:
        """Synonym expansions for the words found in the text, and the document phrases it seems
        to have mistyped or shortened. A synonym counts where the text says it as a word (or
        inside a longer word), never across words: 流水线上班 does not say 线上, 结钱 does not
        say 钱. A word mended or a short form read is expanded in turn (布乳室 → 哺乳室 →
        母婴室)."""
        norm = normalise(text)
        tokens = [w for run in CJK_RUN.findall(norm) for w in self._jieba.lcut(run)]
        meant: list[str] = []
        if self._texts:
            meant = self.respeller.mend(tokens)
            shortened = self.abbreviations
            for token in tokens:
                # a short form said alone or at the head of a word (劳保用品, 社保卡)
                for form in dict.fromkeys((token, token[:2])):
                    meant.extend(w for w in shortened.get(form, ()) if w not in meant)
        extra: list[str] = []
        for word, expansions in self.synonyms.items():
            if any(word == t or (len(word) >= 2 and word in t) for t in [*tokens, *meant]):
                extra.extend(e for e in expansions if e not in extra and e not in norm)
        extra.extend(w for w in meant if w not in extra)
        return extra

    def respelt(self, text: str) -> str:
        """The text with each run it mistyped written as the document word it seems to mean
        (布乳室 → 哺乳室), where that word is the only one meant."""
        if not self._texts:
            return text
        tokens = [w for run in CJK_RUN.findall(normalise(text)) for w in self._jieba.lcut(run)]
        meant: dict[str, set[str]] = {}
        for piece, word in self.respeller.mends(tokens):
            meant.setdefault(piece, set()).add(word)
        for piece, words in meant.items():
            if len(words) == 1:
                text = text.replace(piece, next(iter(words)))
        return text

    def query_words(self, text: str, expansions: list[str] | None = None) -> list[str]:
        """Words of a question plus the words of its synonym expansions."""
        words = self.words(text)
        for phrase in self.expand(text) if expansions is None else expansions:
            words.extend(self.words(phrase))
        return words

    def query_bigrams(self, text: str, expansions: list[str] | None = None) -> list[str]:
        """Bigrams of a question plus the bigrams of its synonym expansions."""
        out = bigrams(text)
        for phrase in self.expand(text) if expansions is None else expansions:
            out.extend(bigrams(phrase))
        return out


def document_terms(texts: Iterable[str]) -> set[str]:
    """Terms a document marks as names: “quoted”, 《titled》, and bracketed department names."""
    terms: set[str] = set()
    for text in texts:
        for m in re.finditer(r"[“\"「]([^”\"」]{2,12})[”\"」]", text):
            terms.add(m.group(1))
        for m in re.finditer(r"《([^》]{2,16})》", text):
            terms.add(m.group(1))
    return terms
