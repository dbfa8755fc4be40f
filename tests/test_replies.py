"""The answer's plain-text parts that stand alone: a document's title in 书名号."""

from __future__ import annotations

import pytest

from bot.core.replies import book_title


@pytest.mark.parametrize(
    "title, shown",
    [
        (
            "中华全国总工会关于加强新时代工会女职工工作的意见",
            "《中华全国总工会关于加强新时代工会女职工工作的意见》",
        ),
        (
            "湖北省总工会贯彻落实《全总意见》实施方案",
            "《湖北省总工会贯彻落实〈全总意见〉实施方案》",
        ),
        ("《武汉市工作方案》", "《武汉市工作方案》"),  # wrapped already: not again
        (" 《落实〈意见〉的方案》 ", "《落实〈意见〉的方案》"),
        ("《意见》落实方案《细则》", "《〈意见〉落实方案〈细则〉》"),  # not wrapped whole
        ("《没有合上", "《〈没有合上》"),
    ],
)
def test_a_title_is_wrapped_once_with_inner_marks_nested(title, shown):
    assert book_title(title) == shown
    assert book_title(shown) == shown
