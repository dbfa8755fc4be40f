"""Build, save, load, staleness and corruption of the index; key words of a long question."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from bot.core.knowledge import load_knowledge
from bot.core.live import current_version as current
from bot.core.live import index_status
from bot.core.retriever import Fusion, Manifest, Retriever, staleness
from bot.errors import IndexCorruptError, IndexStateError
from bot.ingest.changes import open_live
from tests.conftest import FakeEncoder


def test_manifest_records_model_documents_and_time(settings):
    retriever = open_live(settings, encoder=FakeEncoder())
    m = Manifest.read(current(settings.index_dir))
    assert m.model == "fake-bigram-hash"
    assert set(m.documents) == {d.code for d in retriever.docs}
    assert m.built_at and m.clauses == 34 and m.sentences == len(retriever.sentence_owner)


def test_saved_index_loads_without_re_embedding(settings):
    open_live(settings, encoder=FakeEncoder())
    encoder = FakeEncoder()
    retriever = open_live(settings, encoder=encoder, rebuild="never")
    assert encoder.calls == 0
    assert retriever.search("两癌筛查", k=1)[0].clause.title == "提升女职工生活品质"


def test_stale_index_is_rebuilt(settings):
    open_live(settings, encoder=FakeEncoder())
    path = next(settings.knowledge_dir.glob("hubei*.txt"))
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(IndexStateError):
        open_live(settings, encoder=FakeEncoder(), rebuild="never")
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "stale"
    before = current(settings.index_dir).name
    encoder = FakeEncoder()
    open_live(settings, encoder=encoder)
    assert current(settings.index_dir).name != before
    assert encoder.calls == 0  # the clauses did not change: every vector came from the cache
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "ok"


def test_missing_index_is_reported_and_built(settings):
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "missing"
    open_live(settings, encoder=FakeEncoder())
    assert (current(settings.index_dir) / "manifest.json").exists()


def test_corrupt_index_is_refused_or_rebuilt(settings):
    open_live(settings, encoder=FakeEncoder())
    (current(settings.index_dir) / "dense_clauses.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError):
        open_live(settings, encoder=FakeEncoder(), rebuild="never")
    retriever = open_live(settings, encoder=FakeEncoder())
    assert retriever.dense_clauses.size == len(retriever.clauses)


def test_corrupt_manifest_is_refused(settings):
    open_live(settings, encoder=FakeEncoder())
    (current(settings.index_dir) / "manifest.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        open_live(settings, encoder=FakeEncoder(), rebuild="never")
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "corrupt"


def test_other_model_makes_index_stale(settings):
    open_live(settings, encoder=FakeEncoder())
    other = FakeEncoder()
    other.name = "another-model"
    docs = load_knowledge(settings.knowledge_dir)
    with pytest.raises(IndexStateError):
        Retriever(docs, other).load(settings.index_dir)
    manifest = json.loads((current(settings.index_dir) / "manifest.json").read_text("utf-8"))
    assert manifest["model"] == "fake-bigram-hash"


@pytest.mark.parametrize("method", ["bm25", "dense", "hybrid"])
def test_methods_rank_clauses(fake_retriever, method):
    hits = fake_retriever.search("女职工休息哺乳室建设", k=3, method=method)
    assert hits and hits[0].clause.title == "提升女职工生活品质"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(
    "field, why",
    [("tokens", "cut"), ("encoder", "embedded"), ("keywords", "keyword scoring")],
    ids=["how words were cut", "how passages were embedded", "how keywords were scored"],
)
def test_an_index_from_before_a_field_was_recorded_is_rebuilt_where_it_lies(settings, field, why):
    open_live(settings, encoder=FakeEncoder())
    version = current(settings.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    del manifest[field]  # as an index written before this field existed
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert getattr(Manifest.read(version), field) == ""  # the old format still reads
    status = index_status(settings, "fake-bigram-hash", "fake")
    assert status["state"] == "stale" and why in status["detail"]
    with pytest.raises(IndexStateError):
        open_live(settings, encoder=FakeEncoder(), rebuild="never")
    encoder = FakeEncoder()
    open_live(settings, encoder=encoder)  # rebuilt where it lies, every vector from the cache
    rebuilt = current(settings.index_dir)
    assert rebuilt != version and getattr(Manifest.read(rebuilt), field) != ""
    assert (
        encoder.calls == 0 and index_status(settings, "fake-bigram-hash", "fake")["state"] == "ok"
    )


def test_an_index_scored_with_another_length_normalisation_is_stale(settings):
    """A refit that moves BM25's b (a newer tuning file) makes the index stale, in the status
    and on loading; a running bot, which opens versions with the fusion it read at start, refuses
    one built for another b rather than mixing it with its decline model."""
    from bot.core.live import open_version

    open_live(settings, encoder=FakeEncoder())
    version = current(settings.index_dir)
    fitted = Fusion.load()
    other = replace(fitted, bm25_b=0.75 if fitted.bm25_b != 0.75 else 0.3)
    manifest = Manifest.read(version)
    assert manifest.keywords == fitted.keywords != other.keywords
    problem = "keyword scoring"
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "ok"  # as fitted
    with pytest.raises(IndexStateError, match=problem):
        open_version(version, FakeEncoder(), other)
    assert open_version(version, FakeEncoder()).words.b == fitted.bm25_b
    docs = load_knowledge(settings.knowledge_dir)
    with pytest.raises(IndexStateError, match=problem):
        Retriever(docs, FakeEncoder(), fusion=other).load(version)
    assert problem in staleness(manifest, docs, "fake-bigram-hash", "fake", keywords=other.keywords)


def test_an_index_from_an_older_parser_is_rebuilt_where_it_lies(settings):
    from bot.core.tokens import tokens_fingerprint

    open_live(settings, encoder=FakeEncoder())
    version = current(settings.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["tokens"] = tokens_fingerprint()  # as written before the parser's version counted
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    status = index_status(settings, "fake-bigram-hash", "fake")
    assert status["state"] == "stale" and "clauses" in status["detail"]
    open_live(settings, encoder=FakeEncoder())
    assert current(settings.index_dir) != version
    assert index_status(settings, "fake-bigram-hash", "fake")["state"] == "ok"


def test_passages_embedded_another_way_are_embedded_again(settings):
    open_live(settings, encoder=FakeEncoder())

    class Quantised(FakeEncoder):
        variant = "fake-int8"

    assert "fake-int8" in index_status(settings, "fake-bigram-hash", "fake-int8")["detail"]
    encoder = Quantised()
    retriever = open_live(settings, encoder=encoder)
    assert retriever.manifest.encoder == "fake-int8"
    assert encoder.calls > 0  # the cache keeps vectors apart by variant


def test_key_words_leave_out_the_story_and_words_every_clause_uses(fake_retriever):
    key = fake_retriever.key_words("我在电子厂流水线上班好多年了，工会到底有没有哺乳室？")
    assert "哺乳室" in key
    assert not {"电子厂", "流水线", "工会", "有没有"} & set(key)


def test_a_long_question_is_matched_by_its_key_words(fake_retriever):
    long_q = "我在电子厂流水线上班好多年了，每天都很累，想问问工会到底有没有哺乳室"
    kept = fake_retriever.fusion
    try:
        fake_retriever.fusion = Fusion(focus=1.0, focus_length=30)
        focused = fake_retriever.channel_scores(long_q)["dense"]
        short = fake_retriever.channel_scores("有没有哺乳室")["dense"]
        fake_retriever.fusion = Fusion(focus=0.0)
        whole = fake_retriever.channel_scores(long_q)["dense"]
        assert fake_retriever.channel_scores("有没有哺乳室")["dense"] == pytest.approx(short)
    finally:
        fake_retriever.fusion = kept
    key = [*fake_retriever.key_words(long_q), *fake_retriever.tokenizer.expand(long_q)]
    key_text = " ".join(key)
    assert focused == pytest.approx(fake_retriever._dense(key_text)[0])
    assert not np.allclose(focused, whole)


def test_another_length_normalisation_rescores_the_keyword_channels(fake_retriever):
    """The tuning tries several BM25 length normalisations on one index: setting the fusion
    rebuilds the keyword indexes in memory, and setting it back gives the same scores."""
    q = "女职工休息哺乳室建设和托育服务"
    kept = fake_retriever.fusion
    before = fake_retriever.channel_scores(q)
    words = fake_retriever.words
    try:
        fake_retriever.fusion = replace(kept, bm25_b=0.0 if kept.bm25_b else 0.75)
        indexes = (
            fake_retriever.words,
            fake_retriever.bigrams,
            fake_retriever.sentence_words,
            fake_retriever.sentence_bigrams,
        )
        assert {index.b for index in indexes} == {fake_retriever.fusion.bm25_b}
        assert fake_retriever.manifest.keywords == fake_retriever.fusion.keywords  # saved so
        other = fake_retriever.channel_scores(q)
        assert not np.allclose(other["words"], before["words"])
        assert other["dense"] == pytest.approx(before["dense"])  # the vectors stay
    finally:
        fake_retriever.fusion = kept
    assert fake_retriever.words is words  # kept, not built again
    assert fake_retriever.channel_scores(q)["words"] == pytest.approx(before["words"])
    assert fake_retriever.manifest.keywords == kept.keywords


def test_an_index_of_the_first_format_is_rebuilt_where_it_lies(settings):
    """Format 1 had no BM25 index over the sentences' words."""
    import shutil

    open_live(settings, encoder=FakeEncoder())
    version = current(settings.index_dir)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = 1
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.rmtree(version / "bm25_sentence_words")
    status = index_status(settings, "fake-bigram-hash", "fake")
    assert status["state"] == "stale" and "format 1" in status["detail"]
    encoder = FakeEncoder()
    retriever = open_live(settings, encoder=encoder)
    rebuilt = current(settings.index_dir)
    assert rebuilt != version and (rebuilt / "bm25_sentence_words").is_dir()
    assert encoder.calls == 0  # every vector from the cache
    assert retriever.search("哺乳室", k=1)


def test_a_short_question_scores_a_clause_by_its_best_sentence(fake_retriever):
    """A brand list that names 哺乳室 in passing no longer outranks 加强女职工休息哺乳室建设."""
    for query in ("哺乳室", "托育"):
        channels = fake_retriever.channel_scores(query)
        words = fake_retriever.tokenizer.query_words(query)
        by_sentence = fake_retriever.best_of_sentences(fake_retriever.sentence_words.scores(words))
        assert channels["words"] == pytest.approx(by_sentence)
        assert fake_retriever.search(query, k=1)[0].clause.title == "提升女职工生活品质"
    long_q = "女职工休息哺乳室建设工作怎么开展"
    words = fake_retriever.tokenizer.query_words(long_q)
    assert len(fake_retriever.tokenizer.words(long_q)) > 2
    channels = fake_retriever.channel_scores(long_q)
    assert channels["words"] == pytest.approx(fake_retriever.words.scores(words))
