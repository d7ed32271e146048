"""Every number the ranking was fitted with, in one frozen object: one home, one meaning each.

Scores live on fixed scales (cosines, shares of keyword weight, 0/1 flags), so one weighted sum
(the fused score) is comparable across questions: quotes weigh neighbours with it, the confidence
that the paper answers starts from it, and it orders the questions the learned ranker was not
trained for (English, dated, follow-ups; retrieval.ranking.ranker orders the rest). The values
were fitted with ``scripts/tune_fusion.py`` (the evidence is in the README). Nothing else in the
library holds a hand-tuned number: the learned models are files of retrieval/ranking/model/,
settings say *what* to index, how many passages to show and how sure an answer must be.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # --- the fused score of a candidate sentence: a weighted sum of its features ----------------
    dense: float = 1.0  # cosine of the sentence (headline included) with the question
    chunk: float = 0.5  # best cosine of a chunk holding the sentence
    window_coverage: float = 0.1  # keyword weight in the sentence, its neighbours and headline
    context_coverage: float = 0.05  # keyword weight in the headline and the chunk
    answer_type: float = 0.04  # the sentence holds what is asked for (a number for 多少…)
    byline: float = -0.1  # a byline on its own, unless the question asks for a person
    # a question naming days ("1月4日…", "上个月…"): added to the sentences printed on them
    # (set by hand, not fitted; the confidence discounts it)
    date_boost: float = 0.05
    # a follow-up ("他…", "那E区呢?"): added to the sentences of the article it leans on (by hand)
    followup_boost: float = 0.05

    # a two-hop question ("…的那位董事长,…"): the entity its clause describes is looked for in the
    # clause's best this many sentences of its best article, best first (set by hand, not fitted)
    hop_sentences: int = 3

    # --- confidence that the best sentence answers: calibrated into a probability -------------
    # (retrieval.ranking.ranker, fitted on held-out DRCD) and compared with Settings.min_probability
    # confidence = best fused score
    #   - unknown_penalty × (share of the question's keyword weight found nowhere in the corpus)
    #   - type_penalty when the question asks for a kind of thing the best sentence lacks, and so
    #     does the neighbour its quote may join
    #   - attribute_penalty when the best sentence's window does not mention the attribute the
    #     question asks about (Query.attribute: "…的院长是谁" → 院长; the largest weight at which no
    #     held-out set answers fewer of its answerable questions: README, "The ninth pass")
    #   + crosslingual for an English question (no keyword evidence, lower cross-lingual cosines)
    unknown_penalty: float = 0.5
    type_penalty: float = 0.3
    attribute_penalty: float = 0.05
    crosslingual: float = 0.1

    # --- English questions ------------------------------------------------------------------------
    # translate their content words into the corpus' Chinese with CC-CEDICT (retrieval.ranking.english)
    english_dictionary: bool = True

    # --- candidate pools: how many sentences each search contributes ---------------------------
    dense_pool: int = 100  # nearest sentences by cosine (and as many by BM25)
    chunk_pool: int = 10  # nearest chunks; all their sentences become candidates
    # quotes for n passages are cut from the best max(passage_pool, n × pool_per_passage) ranked
    # sentences: a sentence further down neither becomes a passage nor joins one as a neighbour
    passage_pool: int = 50
    pool_per_passage: int = 10

    # --- approximate vector search (retrieval/index/vectors.py) --------------------------------
    # above this many vectors the build adds an IVF index (8-bit codes); below it, search is exact
    approximate_above: int = 50_000
    approximate_lists_per_sqrt: float = 1.0  # IVF lists: this × √(vectors)
    approximate_train_per_list: int = 64  # training sample: this × lists vectors
    # lists searched per question: this × √(lists). A fixed share of the lists (30% before) cost
    # a million sentences 17 ms a search and bought nothing there: the more lists, the smaller
    # the part of the space each one holds. recall@5 against exact search (scripts/bench_ann.py):
    # real CMRC questions over their 3,094 sentences (55 lists) 0.972 at 11 probes, 0.986 at 16;
    # synthetic 1M (1,000 lists) 0.971 at 20, 0.998 at 50 (4.8 ms), 1.0 at 100 (9.8 ms)
    approximate_probes_per_sqrt: float = 2.0
    approximate_rescore: int = 4  # candidates rescored exactly: this × the vectors asked for

    # --- quotes ----------------------------------------------------------------------------------
    max_quote_chars: int = 200  # a two-sentence quote longer than this is cut to the best sentence
    short_sentence: int = 20  # a sentence shorter than this is quoted with the next one
    pair_margin: float = 0.1  # a neighbour within this much of the best sentence is quoted with it
    per_article: int = 2  # passages of one article before other articles get their turn
    competitive: float = 0.05  # another article's passage this far below the best still competes
    # ... and only when its fused score reaches this floor: below it, the best article's further
    # passages come first (on the fused scale; the confidence threshold of before the calibrator)
    competitive_floor: float = 1.19


TUNING = Tuning()
