"""Bad input and bad luck: every case fails loudly in one line and loses nothing else.

Each test here failed before its fix (issue 13): concurrent builds, unreadable and missing corpus
files, corrupted index files, control sequences in text, misleading errors, colliding file names,
and an index named with --index being rebuilt from another corpus.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evaluation.squad import write_jsonl
from retrieval import AnswerService, IndexBusyError, IngestError, NewsqaError, StaleIndexError, build
from retrieval.corpus.ingest import ingest
from retrieval.index.store import build_lock

ROOT = Path(__file__).resolve().parents[1]
ISSUE = "株洲日报讯(记者/张三)株洲硬质合金年产量占全国42%，是全国最大的硬质合金生产基地。\n"


def newsqa(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=600,
    )


def settings_for(model_settings, corpus: list[Path], index: Path):
    return model_settings.model_copy(update={"corpus_paths": corpus, "index_dir": index})


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, model_settings, embedder):
    folder = tmp_path_factory.mktemp("small")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("# 硬质合金\n" + ISSUE, encoding="utf-8")
    settings = settings_for(model_settings, [corpus], folder / "index")
    build(settings, embedder=embedder)
    return settings


def test_a_second_build_while_one_runs_says_who_holds_the_index(small_index, embedder):
    with build_lock(small_index.index_dir):
        with pytest.raises(IndexBusyError, match=rf"pid {os.getpid()}"):
            build(small_index, embedder=embedder)
        done = newsqa("build", "--index", str(small_index.index_dir), "--corpus", *map(str, small_index.corpus_paths))
        assert done.returncode == 2
        assert b"Another build is writing" in done.stderr and b"Traceback" not in done.stderr
    assert AnswerService.open(small_index, embedder=embedder).ask("硬质合金年产量占全国多少?").answered


def test_leftover_switch_links_are_cleaned_and_the_replaced_version_stays_readable(tmp_path, model_settings, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("# 硬质合金\n" + ISSUE, encoding="utf-8")
    settings = settings_for(model_settings, [corpus], tmp_path / "index")
    build(settings, embedder=embedder)
    stale = settings.index_dir.parent / f".{settings.index_dir.name}.link-999999"
    stale.symlink_to("nowhere")
    before = settings.index_dir.resolve()
    (corpus / "b.txt").write_text("# 新馆\n株洲新开了一家图书馆。\n", encoding="utf-8")
    build(settings, embedder=embedder)
    assert not stale.is_symlink()
    assert before.is_dir() and (before / "manifest.json").exists()  # a reader mid-open still has it
    assert settings.index_dir.resolve() != before


def test_an_unreadable_file_is_reported_and_skipped_after_a_full_build(tmp_path, model_settings, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("# 硬质合金\n" + ISSUE, encoding="utf-8")
    (corpus / "bad.txt").symlink_to("/proc/self/mem")  # a file even root cannot read: EIO
    missing = tmp_path / "no-such-folder"
    report = build(settings_for(model_settings, [corpus, missing], tmp_path / "index"), embedder=embedder)
    assert report.articles == 1
    assert any(p.startswith("bad.txt: cannot be read") for p in report.problems)
    assert any(str(missing) in p for p in report.problems)
    with pytest.raises(IngestError, match="no such file"):
        ingest([missing])


def test_same_file_name_in_two_folders_is_cited_by_its_relative_path(tmp_path):
    for month, fact in (("2024-01", "一月的新闻。"), ("2024-02", "二月的新闻。")):
        (tmp_path / month).mkdir()
        (tmp_path / month / "page01.txt").write_text(f"# {month}\n{fact}\n", encoding="utf-8")
    corpus = ingest([tmp_path])
    assert sorted(corpus.sources) == ["2024-01/page01.txt", "2024-02/page01.txt"]
    assert sorted({a.source for a in corpus.articles}) == ["2024-01/page01.txt", "2024-02/page01.txt"]


def test_a_symlink_loop_is_one_line(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    done = newsqa("build", "--corpus", str(loop), "--index", str(tmp_path / "index"))
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(b"newsqa: ") and str(loop).encode() in last and b"symbolic link" in last


def test_a_bad_setting_is_one_line_naming_it(tmp_path):
    done = newsqa("build", "--index", str(tmp_path / "i"), env={"NEWSQA_CHUNK_MAX_CHARS": "abc"})
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(b"newsqa: invalid setting NEWSQA_CHUNK_MAX_CHARS='abc'")


def test_encoding_problems_are_reported_where_they_are(tmp_path):
    text = "# 标题\n" + "株洲硬质合金年产量占全国百分之四十二。" * 5 + "\n"
    broken = text.encode("utf-8")
    broken = broken[:39] + b"\xff" + broken[39:]  # after the 10th character of line 2
    (tmp_path / "broken.txt").write_bytes(broken)
    (tmp_path / "big5.txt").write_bytes("# 株洲新聞\n株洲硬質合金年產量佔全國百分之四十二，是全國最大的生產基地。\n".encode("big5"))
    corpus = ingest([tmp_path])
    assert any(p.startswith("broken.txt: not valid UTF-8 at byte 39 (line 2)") for p in corpus.problems), corpus.problems
    assert [a.source for a in corpus.articles] == ["big5.txt"]
    assert "硬質合金" in corpus.articles[0].text


def test_a_folder_that_is_not_an_index_gets_advice_that_works(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine", encoding="utf-8")
    done = newsqa("ask", "--index", str(tmp_path / "stuff"), "问题")
    assert done.returncode == 2
    assert b"is not a newsqa index" in done.stderr and b"choose another --index" in done.stderr


@pytest.mark.parametrize("name", ["chunk_vectors.npy", "sentences.npy", "terms/gram_sentences.npy", "lexical/bm25/data.csc.index.npy"])
def test_random_bytes_in_any_index_file_are_refused(tmp_path, model_settings, embedder, small_index, name):
    settings = settings_for(model_settings, small_index.corpus_paths, tmp_path / "index")
    build(settings, embedder=embedder)
    path = settings.index_dir.resolve() / name
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    data[at : at + 64] = np.random.default_rng(7).bytes(64)[: len(data) - at]
    path.write_bytes(bytes(data))
    with pytest.raises(StaleIndexError, match=rf"{name}.*checksum.*newsqa build --index"):
        AnswerService.open(settings, embedder=embedder)


def test_an_index_of_the_same_files_elsewhere_is_not_changed_and_a_named_index_is_never_rebuilt(
    tmp_path, small_index, embedder
):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in small_index.corpus_paths[0].iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    moved = small_index.model_copy(update={"corpus_paths": [copy]})
    assert AnswerService.open(moved, embedder=embedder).corpus_changes() == []
    (copy / "new.txt").write_text("# 新\n株洲新开了一家图书馆。\n", encoding="utf-8")
    built_at = json.loads((small_index.index_dir / "manifest.json").read_text())["built_at"]
    done = newsqa("repl", "--index", str(small_index.index_dir), "--corpus", str(copy), stdin=b":quit\n")
    assert done.returncode == 0, done.stderr
    assert b"corpus changed" in done.stderr and b"--rebuild" in done.stderr
    assert json.loads((small_index.index_dir / "manifest.json").read_text())["built_at"] == built_at


def test_batch_mode_answers_every_line_exactly_once(small_index):
    lines = ["硬质合金年产量占全国多少?".encode(), b"", b"\xff\xfe\xfa bad", "硬质合金".encode("gbk"), b"x" * 600]
    done = newsqa("ask", "--json", "--index", str(small_index.index_dir), stdin=b"\n".join(lines) + b"\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert out[0]["answered"] and "42%" in out[0]["passages"][0]["quote"]
    assert out[1]["answered"] is False and "error" in out[1]
    assert "neither UTF-8 nor GB18030" in out[2]["error"]
    assert out[3]["question"] == "硬质合金"
    assert "too long" in out[4]["error"]


def test_a_closed_pipe_ends_the_batch_quietly(small_index):
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "--index", str(small_index.index_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    proc.stdin.write("硬质合金年产量占全国多少?\n".encode())
    proc.stdin.flush()
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away (`| head -1`)
    proc.stdin.write("硬质合金年产量占全国多少?\n".encode() * 3)
    proc.stdin.close()
    assert proc.wait(timeout=300) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_control_sequences_never_reach_the_terminal(tmp_path, model_settings, embedder):
    corpus = tmp_path / "c.jsonl"
    write_jsonl(corpus, [{"title": "硬质合金\x1b]0;pwned\x07", "text": "株洲硬质合金年产量\x1b[8m占全国42%。", "source": "x"}])
    settings = settings_for(model_settings, [corpus], tmp_path / "index")
    build(settings, embedder=embedder)
    done = newsqa("ask", "--index", str(settings.index_dir), "硬质合金\x1b[2J年产量占全国多少?")
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout and b"42%" in done.stdout
    as_json = newsqa("ask", "--json", "--index", str(settings.index_dir), stdin="硬质合金年产量占全国多少?\n".encode())
    assert "\x1b[8m" in json.loads(as_json.stdout)["passages"][0]["quote"]  # JSON stays exact


def test_nothing_to_search_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(NewsqaError):
        ingest([tmp_path / "a", tmp_path / "b"])
