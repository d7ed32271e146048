"""The terminal REPL, driven by scripted input against the real service over the seed issues."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from bot import repl
from retrieval.answers import Answer, Passage

ZH = "高新大厦有多高？"


def console(color: bool = False) -> Console:
    if color:
        return Console(file=io.StringIO(), width=200, force_terminal=True, color_system="standard")
    return Console(file=io.StringIO(), width=200, color_system=None)


def scripted(*lines):
    """An ``input`` stand-in: returns the lines in order; exceptions in the list are raised
    (KeyboardInterrupt = Ctrl-C); after the last line, EOFError (= Ctrl-D)."""
    feed = iter(lines)
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        item = next(feed, EOFError())
        if isinstance(item, BaseException):
            raise item
        return item

    read.prompts = prompts  # type: ignore[attr-defined]
    return read


def run(service, *lines, color: bool = False) -> tuple[str, list[str]]:
    out = console(color)
    read = scripted(*lines)
    repl.run_repl(service, service.settings, console=out, input_fn=read)
    return out.file.getvalue(), read.prompts


def test_banner_question_and_quit(seed_service):
    info = seed_service.info()
    output, prompts = run(seed_service, ZH, ":quit", "never read")
    assert f"Articles 文章: {info.articles}" in output and info.model in output
    assert "168" in output and "“武广地标”转型记" in output
    assert "原文" in output and "passages ·" in output
    assert len(prompts) == 2  # the line after :quit is never read
    assert output.rstrip().endswith("Bye.")


def test_the_quote_is_highlighted_and_the_answer_in_it_bold(seed_service):
    answer = seed_service.ask(ZH)
    output, _ = run(seed_service, ZH, color=True)
    quote = answer.passages[0].quote
    assert "\x1b[33m" + quote[:10] in output
    assert "\x1b[1;33m168米\x1b[0m" in output
    assert "issue 2023-12-22 (inferred) · 12月22日" in output


def test_empty_lines_ctrl_c_and_eof(seed_service):
    output, prompts = run(seed_service, "", "   ", KeyboardInterrupt(), ZH)
    assert len(prompts) == 5  # four lines, then Ctrl-D
    assert output.count("原文") == 1  # only the real question was asked
    assert "Bye." in output


def test_help_about_and_unknown_commands(seed_service):
    output, _ = run(seed_service, ":help", ":about", ":frobnicate")
    assert ":sources N" in output and ":quit" in output
    assert output.count("Articles 文章") == 2  # banner + :about
    assert "Unknown command :frobnicate" in output


def test_sources_n(seed_service):
    output, _ = run(seed_service, ":sources 3", ZH, ":sources 2", ":sources 8", ":sources x")
    assert "Ask a question first" in output
    assert "2 passages ·" in output  # from the last answer
    first = seed_service.ask(ZH)
    more = seed_service.ask(ZH, top_k=8)
    assert f"{len(more.passages)} passages ·" in output
    assert len(more.passages) >= len(first.passages)
    assert "Usage: :sources N" in output


def test_not_found_and_refusals_are_plain(seed_service):
    output, _ = run(seed_service, "火星上有没有水?", "高" * 5000, "What is the capital of France?")
    assert "没有找到" in output
    assert "too long" in output
    assert "Not found" in output


def test_print_answer_shows_paper_text_literally():
    context = "前文。标记 [bold red]不是样式[/bold red] 的句子。后文。"
    quote = "标记 [bold red]不是样式[/bold red] 的句子。"
    start = context.index(quote)
    answer = Answer("[b]?", True, [Passage(quote, context, start, start + len(quote), "[i]标题",
                                          "001.txt", None, 0.9)], "zh")
    out = console()
    repl.print_answer(answer, out)
    text = out.file.getvalue()
    assert quote in text and "[i]标题 · 001.txt" in text and "「[b]?」" in text
    out = console()
    repl.print_answer(Answer("How?", False, [], "en"), out)
    assert "Not found" in out.file.getvalue()


def test_history_is_kept_under_the_cache_dir(tmp_path):
    readline = pytest.importorskip("readline")
    readline.clear_history()
    history = repl._History(tmp_path / "cache" / repl.HISTORY_FILE)
    readline.add_history("高新大厦有多高？")
    history.save()
    readline.clear_history()
    repl._History(tmp_path / "cache" / repl.HISTORY_FILE)
    assert readline.get_history_item(readline.get_current_history_length()) == "高新大厦有多高？"
    readline.clear_history()


def test_issues_issue_latest_and_the_article_behind_a_quote(seed_service):
    contents = seed_service.issue("2024-01-05")
    passage = seed_service.ask(ZH).passages[0]
    output, _ = run(
        seed_service, ":article 1", ":issues", ":issue 2024-01-05", ":article 2", ":issue nowhere",
        ":issue", ":latest", ZH, ":article 1", ":article 0", ":article x", color=True,
    )
    assert "Ask a question or list an issue first" in output
    assert output.index("2025-03-09 (inferred) · 000_") < output.index("2023-01-31 (inferred) · 001_")
    assert f"1. {contents.headlines[0].title}" in output
    article = seed_service.article(contents.headlines[1].article)
    assert article.text.split("\n")[0] in output  # :article 2 opened the second headline
    assert "“nowhere” is not an issue of this archive" in output
    assert "Usage: :issue" in output
    assert seed_service.latest().issue.key in output
    assert "\x1b[1;33m" + passage.quote[:10] in output, "the quoted sentence is marked in the article"
    assert "Usage: :article N" in output


def test_a_follow_up_leans_on_the_session_and_new_forgets_it(seed_service):
    output, _ = run(
        seed_service, "1月4日谁调研了湖南先进硬质材料产业园?", "他还参加了市长陈恢清对哪位客人的会见?",
        ":new", "他还参加了市长陈恢清对哪位客人的会见?",
    )
    assert output.count("理解为：他 → 刘亚亮") == 1  # after :new the same question leans on nothing
    assert "宋玮" in output and "New conversation" in output
