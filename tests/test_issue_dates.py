"""Issue dates: from the file name, a sidecar or front matter, else inferred from the datelines
with a year the text states — never invented. Real ingestion, no model."""

from __future__ import annotations

from pathlib import Path

from retrieval.corpus import dates
from retrieval.corpus.ingest import ingest

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ISSUE = "株洲日报讯(全媒体记者/张三) {md}，市里召开会议。会议总结了{year}年的工作。\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_seed_issues_get_inferred_dates_with_the_year_their_text_states():
    corpus = ingest([SEEDS])
    got = {name: d.label() for name, d in corpus.issue_dates.items()}
    assert got == {
        "000_76e936ff57ac12df.txt": "2025-03-09 (inferred)",
        "001_aabb38e4141b61e3.txt": "2023-01-31 (inferred)",
        "002_b290fb6dc75b2668.txt": "2024-01-05 (inferred)",
        "003_edbf5217357039bc.txt": "2023-03-26 (inferred)",
        # "2024年计划（草案）" is a plan, not the year of the issue
        "004_d1804f0282d1225f.txt": "2023-12-22 (inferred)",
    }


def test_name_beats_sidecar_beats_front_matter_beats_inference(tmp_path):
    write(tmp_path, "2024-01-05.txt", ISSUE.format(md="1月4日", year=2023))
    write(tmp_path, "2024/0106/p1.txt", ISSUE.format(md="1月5日", year=2023))  # no date in the name
    write(tmp_path, "20240107_p2.md", ISSUE.format(md="1月6日", year=2023))
    write(tmp_path, "side.txt", "date: 2024-02-02\n" + ISSUE.format(md="2月1日", year=2023))
    write(tmp_path, "front.txt", "---\ndate: 2024-03-03\n---\n" + ISSUE.format(md="3月2日", year=2023))
    write(tmp_path, "plain.txt", ISSUE.format(md="4月1日", year=2022))
    write(tmp_path, "noyear.txt", "株洲日报讯(全媒体记者/张三) 5月6日，市里召开会议。\n")
    write(tmp_path, dates.SIDECAR, "file,date\nside.txt,2024-02-01\nbad.txt,someday\n")
    corpus = ingest([tmp_path])
    got = {name: d and (d.iso(), d.how) for name, d in corpus.issue_dates.items()}
    assert got == {
        "2024-01-05.txt": ("2024-01-05", "name"),
        "2024/0106/p1.txt": ("2024-01-06", "name"),
        "20240107_p2.md": ("2024-01-07", "name"),
        "side.txt": ("2024-02-01", "sidecar"),
        "front.txt": ("2024-03-03", "front matter"),
        "plain.txt": ("2022-04-01", "inferred"),
        "noyear.txt": ("05-06", "inferred"),  # no year stated: none invented
    }
    assert corpus.issue_dates["noyear.txt"].label() == "05-06 (inferred, year unknown)"
    assert any("issues.csv:3" in p for p in corpus.problems)
    # the front matter is not read as article text, and quotes still point into the file as it is
    front = [a for a in corpus.articles if a.source == "front.txt"]
    assert "date:" not in "".join(a.text + a.title for a in front)
    source = corpus.sources["front.txt"]
    assert all(source[o] == c for a in front for c, o in zip(a.text, a.offsets) if c != "\n")


def test_an_issue_of_early_january_reporting_december_is_dated_in_january():
    from retrieval.corpus.article import Article

    arts = [Article("t", "x", (0,), "s", date=d) for d in ("12月30日", "1月2日", "12月31日")]
    assert dates.infer(arts, "2024年1月2日，新年伊始").iso() == "2024-01-02"
    assert dates.infer([Article("t", "x", (0,), "s")], "2024年") is None  # no dateline at all
