# Two commands for a newcomer:  `make run` (set up, fetch the model, build the index, open the REPL)
# and `make test` (set up, run the whole test suite).
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
# PyTorch goes in first and pinned: a bare `torch` requirement pulls a multi-GB CUDA build.
# Elsewhere, point TORCH_INDEX at a CPU wheel index, e.g. --index-url https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0
TORCH_INDEX   ?=

.PHONY: run test setup bot clean

run: setup
	$(PY) -m bot.cli repl

test: setup
	$(PY) -m pytest

bot: setup
	$(PY) -m bot.cli bot

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { echo "Creating $(VENV) …"; $(PYTHON) -m venv $(VENV); }
	@echo "Updating pip …"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "Installing PyTorch $(TORCH_VERSION), CPU build (about 200 MB; a minute or two) …"
	@$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(TORCH_INDEX)
	@echo "Installing newsqa and its libraries (sentence-transformers, faiss, jieba, bm25s, python-telegram-bot …; about a minute) …"
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@
	@echo "Set up in $(VENV)."

clean:
	rm -rf $(VENV) var
