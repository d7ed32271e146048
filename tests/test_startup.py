"""What opening the service loads, and what it leaves for later: a reader waits for both."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import sys
from retrieval.ranking import english
from retrieval.service import AnswerService
from retrieval.settings import Settings

service = AnswerService.open(Settings())
print('transformers' in sys.modules, 'sentence_transformers' in sys.modules,
      'jieba.posseg' in sys.modules, english._glossary.cache_info().currsize)
service.prepare_in_background().join()
print('jieba.posseg' in sys.modules, english._glossary.cache_info().currsize)
"""


def test_open_loads_only_what_every_question_needs_and_prepare_loads_the_rest(seed_service, seed_settings):
    """Open imports neither transformers nor sentence-transformers (4 of its 6.5 s when it did),
    nor the part-of-speech tags and the English dictionary that only some questions use; the
    REPL and the bot load those in the background once the service is open."""
    env = {**os.environ, "NEWSQA_INDEX_DIR": str(seed_settings.index_dir),
           "NEWSQA_CACHE_DIR": str(seed_settings.cache_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, check=True)
    opened, prepared = done.stdout.split("\n")[:2]
    assert opened == "False False False 0", done.stdout
    assert prepared == "True 1", done.stdout
