"""What is quoted around the best sentence, on a small real corpus with the real model."""

from __future__ import annotations

import pytest

ARTICLES = [
    {
        "title": "猴面包树",
        "source": "baobab",
        "text": (
            "猴面包树是锦葵科猴面包树属的落叶乔木，原产于非洲大陆。"
            "其果实富含营养，钙含量比菠菜高50%以上，维生素C含量是单个橙子的三倍。"
            "因此它有时也被称为笨蛋水果。"
            "笨蛋水果这个名称在非洲各地流传甚广。"
            "树干可储存大量水分，以度过漫长的旱季。"
        ),
    },
    {"title": "天气", "text": "明天有小雨，气温八到十二度。出门请带伞。", "source": "weather"},
]


@pytest.fixture(scope="module")
def service(service_over):
    return service_over(ARTICLES)


def test_a_sentence_that_points_back_is_quoted_with_the_one_before(service):
    answer = service.ask("为什么称猴面包树为笨蛋水果？")
    quote = answer.passages[0].quote
    assert quote.endswith("因此它有时也被称为笨蛋水果。")
    assert quote.startswith("其果实富含营养")
