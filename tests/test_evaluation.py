"""The scoring rule on hand-made cases whose numbers were worked out by hand, plus the CMRC converter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.scoring import EvalReport, ItemResult, QAItem, load_questions, norm, score
from evaluation.squad import convert_squad
from retrieval import Answer, NewsqaError, Passage

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT.parent / "shared" / "eval"

S1 = "株洲新地标楼高达 168 米，预计明年完工。市长张三出席仪式。"
S2 = "另一篇文章，讲的是别的事情。张三也在这里。"
SOURCES = {"s1.txt": S1, "s2.txt": S2}


def P(quote: str, source: str) -> Passage:
    return Passage(quote, quote, 0, len(quote), "标题", source, None, 1.0)


def A(passages: list[Passage], answered: bool = True, seconds: float = 0.0) -> Answer:
    return Answer("q", answered, passages, seconds=seconds)


def Q(id: str, kind: str, answers: list[str], source: str | None = "s1.txt") -> QAItem:
    return QAItem(id, "问题?", answers, source, "标题" if source else None, kind, 1 if answers else 0)


def mix() -> tuple[list[QAItem], list[Answer]]:
    """Eight questions: ranks 1, 3, miss, declined, 2, beyond-top-5; one unanswerable answered
    (with a fabricated quote and a quote from an unknown source), one declined."""
    items = [
        Q("a1", "number", ["168米"]),
        Q("a2", "person", ["张三"]),
        Q("a3", "person", ["张三"]),
        Q("a4", "number", ["168米"]),
        Q("a5", "fact", ["１６８米,预计"]),
        Q("a6", "fact", ["明年完工"]),
        Q("u1", "unanswerable", [], None),
        Q("u2", "unanswerable", [], None),
    ]
    answers = [
        A([P("楼高达 168 米", "s1.txt")], seconds=1.0),
        A([P("张三也在这里", "s2.txt"), P("预计明年完工", "s1.txt"), P("市长张三出席仪式", "s1.txt")], seconds=2.0),
        A([P("张三也在这里", "s2.txt")], seconds=3.0),
        A([P("楼高达 168 米", "s1.txt")], answered=False, seconds=4.0),
        A([P("市长张三出席仪式", "s1.txt"), P("楼高达１６８米，预计明年完工", "s1.txt")], seconds=5.0),
        A([P(q, "s2.txt") for q in ("另一篇文章", "讲的是别的事情", "张三也在这里", "另一篇", "文章")]
          + [P("预计明年完工", "s1.txt")], seconds=6.0),
        A([P("市长李四出席仪式", "s1.txt"), P("楼高达 168 米", "missing.txt")], seconds=7.0),
        A([], answered=False, seconds=10.0),
    ]
    return items, answers


@pytest.fixture
def report() -> EvalReport:
    items, answers = mix()
    return score(items, answers, SOURCES)


def test_norm_folds_width_and_whitespace() -> None:
    assert norm("楼高达 168 米") == "楼高达168米"
    assert norm("１６８\u3000米，\n好") == "168米,好"
    assert norm("168米") in norm("楼高达 168 米")


def test_hit_ranks(report: EvalReport) -> None:
    ranks = {r.item.id: r.hit_rank for r in report.results}
    # a2: rank 1 has the right text from the wrong source, so the hit is at 3.
    # a3: right text, wrong source only -> miss. a4: declined -> no hit even though quote matches.
    # a5: full-width digits and comma in answer/quote still match. a6: match only at rank 6 -> miss.
    assert ranks == {"a1": 1, "a2": 3, "a3": None, "a4": None, "a5": 2, "a6": None, "u1": None, "u2": None}


def test_declined_and_answered_flags(report: EvalReport) -> None:
    answered = {r.item.id: r.answered for r in report.results}
    assert answered["a4"] is False and answered["u1"] is True and answered["u2"] is False


def test_overall_numbers(report: EvalReport) -> None:
    o = report.overall()
    assert (o["n"], o["n_answerable"], o["n_unanswerable"]) == (8, 6, 2)
    assert o["hit@1"] == pytest.approx(1 / 6)
    assert o["hit@5"] == pytest.approx(3 / 6)
    assert o["mrr@5"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 6)  # 11/36
    assert o["answered"] == pytest.approx(5 / 6)
    assert o["declined"] == pytest.approx(1 / 2)  # u1 answered -> not declined
    assert o["verbatim"] == pytest.approx(14 / 16)  # fabricated quote + unknown source
    assert o["quote_chars"] == pytest.approx(112 / 16)
    assert o["mean_seconds"] == pytest.approx(38 / 8)
    assert o["median_seconds"] == pytest.approx(4.5)


def test_per_kind(report: EvalReport) -> None:
    pk = report.per_kind()
    assert list(pk) == ["number", "person", "fact", "unanswerable"]
    assert pk["number"] == pytest.approx({"n": 2, "hit@1": 0.5, "hit@5": 0.5, "mrr@5": 0.5, "answered": 0.5})
    assert pk["person"] == pytest.approx({"n": 2, "hit@1": 0.0, "hit@5": 0.5, "mrr@5": 1 / 6, "answered": 1.0})
    assert pk["fact"] == pytest.approx({"n": 2, "hit@1": 0.0, "hit@5": 0.5, "mrr@5": 0.25, "answered": 1.0})
    assert pk["unanswerable"] == {"n": 2, "declined": 0.5}


def test_verbatim_flags(report: EvalReport) -> None:
    by_id = {r.item.id: r for r in report.results}
    assert by_id["u1"].quotes_verbatim is False
    assert by_id["u1"].verbatim_per_quote == [False, False]
    assert by_id["a5"].quotes_verbatim is True  # full-width quote vs half-width source is verbatim
    assert by_id["u2"].quotes_verbatim is True and by_id["u2"].quote_lengths == []
    assert by_id["a6"].quote_lengths == [5, 7, 6, 3, 2, 6]


def test_item_result_derives_per_quote_flags() -> None:
    r = ItemResult(Q("x", "fact", ["a"]), True, None, False, [3, 4], 0.0)
    assert r.verbatim_per_quote == [False, False]


def test_missing_groups_are_none_not_zero() -> None:
    items, answers = mix()
    o = score(items[:1], answers[:1], SOURCES).overall()
    assert o["declined"] is None and o["hit@1"] == 1.0
    assert "-" in score(items[:1], answers[:1], SOURCES).format_table()


def test_table_and_json(report: EvalReport) -> None:
    table = report.format_table()
    lines = table.splitlines()
    assert lines[0].split() == ["kind", "n", "hit@1", "hit@5", "mrr@5", "answered", "declined"]
    answerable = next(line for line in lines if line.startswith("answerable"))
    assert answerable.split() == ["answerable", "6", "16.7%", "50.0%", "0.306", "83.3%", "-"]
    assert "87.5%" in table and "4.75" in table and "4.50" in table
    data = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert data["overall"]["mrr@5"] == pytest.approx(11 / 36)
    assert [i["hit_rank"] for i in data["items"]] == [1, 3, None, None, 2, None, None, None]


def test_score_rejects_unpaired_lists() -> None:
    items, answers = mix()
    with pytest.raises(ValueError):
        score(items, answers[:-1], SOURCES)


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "d1", "question": "几米?", "answers": ["168米"], "source": "s1.txt",
                   "title": "t", "kind": "number", "answer_occurrences": 1}, ensure_ascii=False)


def test_load_questions_roundtrip(tmp_path: Path) -> None:
    unans = json.dumps({"id": "d2", "question": "谁?", "answers": [], "source": None, "title": None,
                        "kind": "unanswerable", "answer_occurrences": 0})
    items = load_questions(_write(tmp_path, [GOOD, "", unans]))
    assert items == [
        QAItem("d1", "几米?", ["168米"], "s1.txt", "t", "number", 1),
        QAItem("d2", "谁?", [], None, None, "unanswerable", 0),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        '["a list"]',
        '{"id": "d9", "question": "?", "answers": "168米", "source": "s", "kind": "number"}',
        '{"id": "d9", "question": "?", "answers": ["x"], "source": null, "kind": "fact"}',
        '{"id": "d9", "question": "?", "answers": ["x"], "source": null, "kind": "unanswerable"}',
        GOOD,  # duplicate id
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, bad: str) -> None:
    path = _write(tmp_path, [GOOD, "", bad])
    with pytest.raises(NewsqaError) as exc:
        load_questions(path)
    assert f"{path}:3:" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_real_dev_seeds_load() -> None:
    path = EVAL_DIR / "dev_seeds.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not present")
    items = load_questions(path)
    assert len(items) == 35
    assert sum(not i.answerable for i in items) == 5


TINY_SQUAD = {
    "version": "v1.0",
    "data": [
        {"id": "E1", "title": "标题一", "paragraphs": [
            {"id": "P1", "context": "株洲位于湖南省东部。", "qas": [
                {"id": "P1_QUERY_0", "question": "株洲在哪个省?",
                 "answers": [{"text": "湖南省", "answer_start": 4}, {"text": "湖南省", "answer_start": 4},
                             {"text": "湖南", "answer_start": 4}]}]},
            {"id": "P2", "context": "湘江流经株洲。", "qas": [
                {"id": "P2_QUERY_0", "question": "什么江流经\u2028株洲?",
                 "answers": [{"text": "湘江", "answer_start": 0}]},
                {"id": "P2_QUERY_1", "question": " ", "answers": [{"text": "湘江", "answer_start": 0}]}]},
        ]},
        {"title": "标题二", "paragraphs": [
            {"context": "炎帝陵在炎陵县。", "qas": [
                {"question": "炎帝陵在哪?", "answers": [{"text": "炎陵县", "answer_start": 4}]},
                {"question": "谁在月球?", "answers": []}]},
        ]},
    ],
}


def test_convert_tiny_squad(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "tiny.json"
    src.write_text(json.dumps(TINY_SQUAD, ensure_ascii=False), encoding="utf-8")
    corpus_path, questions_path = convert_squad(src, tmp_path / "out")
    assert (corpus_path, questions_path) == (tmp_path / "out" / "corpus.jsonl", tmp_path / "out" / "questions.jsonl")
    corpus = _read_jsonl(corpus_path)
    assert corpus == [
        {"title": "标题一", "text": "株洲位于湖南省东部。", "source": "cmrc-P1"},
        {"title": "标题一", "text": "湘江流经株洲。", "source": "cmrc-P2"},
        {"title": "标题二", "text": "炎帝陵在炎陵县。", "source": "cmrc-1-0"},
    ]
    assert "P2_QUERY_1" in caplog.text  # the blank question is skipped, and said so
    items = load_questions(questions_path)  # U+2028 inside a question must not split its line
    assert items == [
        QAItem("P1_QUERY_0", "株洲在哪个省?", ["湖南省", "湖南"], "cmrc-P1", "标题一", "cmrc", 1),
        QAItem("P2_QUERY_0", "什么江流经\u2028株洲?", ["湘江"], "cmrc-P2", "标题一", "cmrc", 1),
        QAItem("cmrc-1-0-q0", "炎帝陵在哪?", ["炎陵县"], "cmrc-1-0", "标题二", "cmrc", 1),
        QAItem("cmrc-1-0-q1", "谁在月球?", [], None, None, "unanswerable", 0),
    ]
    # Quoting each gold paragraph whole scores perfectly: the converted files agree with the scorer.
    texts = {c["source"]: c["text"] for c in corpus}
    answers = [A([P(texts[i.source], i.source)]) if i.source else A([], answered=False) for i in items]
    o = score(items, answers, texts).overall()
    assert (o["hit@1"], o["declined"], o["verbatim"]) == (1.0, 1.0, 1.0)


def test_convert_real_cmrc_trial(tmp_path: Path) -> None:
    src = EVAL_DIR / "cmrc2018_trial.json"
    if not src.exists():
        pytest.skip(f"{src} not present")
    corpus_path, questions_path = convert_squad(src, tmp_path)
    corpus = _read_jsonl(corpus_path)
    items = load_questions(questions_path)
    raw = json.loads(src.read_text(encoding="utf-8"))["data"]
    assert sum(len(p["qas"]) for e in raw for p in e["paragraphs"]) == 1002  # the README's count
    assert len(corpus) == 256
    # Two trial questions have empty text (TRIAL_776_QUERY_4, TRIAL_20_QUERY_0): unaskable, skipped.
    assert len(items) == 1000
    assert not {"TRIAL_776_QUERY_4", "TRIAL_20_QUERY_0"} & {i.id for i in items}
    assert corpus[0]["source"] == "cmrc-TRIAL_800" and corpus[0]["title"] == "泡泡战士"
    assert items[0].id == "TRIAL_800_QUERY_0" and items[0].source == "cmrc-TRIAL_800"
    assert {i.kind for i in items} == {"cmrc"}
    texts = {c["source"]: norm(c["text"]) for c in corpus}
    assert len(texts) == 256
    assert all(any(norm(a) in texts[i.source] for a in i.answers) for i in items)


def _check_questions():
    """scripts/check_questions.py, the one checker of a question file's spans (a script, not a module)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_questions", ROOT / "scripts" / "check_questions.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    return check



@pytest.mark.parametrize("name", ["seeds_heldout.jsonl", "seeds_heldout2.jsonl", "seeds_heldout3.jsonl", "seeds_heldout4.jsonl"])
def test_the_frozen_question_files_hold_their_spans(name, capsys):
    """Every span of the frozen held-out sets occurs in its article, as often as recorded, within one
    or two sentences (scripts/check_questions.py --strict): an edited seed or item breaks the set."""
    check = _check_questions()
    assert check.main([str(ROOT / "evaluation_data" / name), "--corpus", str(ROOT / "seeds"), "--strict"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def test_the_reader_questions_hold_their_spans_in_the_converted_drcd(tmp_path: Path, capsys) -> None:
    """evaluation_data/drcd_reader.jsonl names paragraphs of DRCD as ``evaluation.drcd.convert``
    writes them: written out one file a paragraph (title line, then text, as its authors checked
    them), every span must pass scripts/check_questions.py --strict there (a change to the
    conversion, or an edited item, breaks the set)."""
    from evaluation.drcd import convert

    files = [EVAL_DIR / "train" / "DRCD_dev.json", EVAL_DIR / "train" / "DRCD_test.json"]
    if not all(f.exists() for f in files):
        pytest.skip("DRCD not present")
    convert(files, tmp_path / "drcd")
    paragraphs = tmp_path / "paragraphs"
    paragraphs.mkdir()
    for c in _read_jsonl(tmp_path / "drcd" / "corpus.jsonl"):
        (paragraphs / c["source"]).write_text(c["title"] + "\n" + c["text"] + "\n", encoding="utf-8")
    questions = ROOT / "evaluation_data" / "drcd_reader.jsonl"
    items = load_questions(questions)
    assert len(items) == 230 and sum(not i.answerable for i in items) == 80
    assert _check_questions().main([str(questions), "--corpus", str(paragraphs), "--strict"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
