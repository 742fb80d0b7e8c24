# The README's commands.  Each target creates/uses .venv and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup book test test-fast notebooks site-check experiment benchmark clean install-cells

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

## make book: the main job — runs every chapter on the embedded synthetic data and builds the HTML book
## One thread unless OMP_NUM_THREADS says otherwise (why: README, "The two commands").
book: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=$${MKL_NUM_THREADS:-1} $(VENV)/bin/jupyter-book build .
	@echo "open _build/html/index.html"

## make test: unit tests + every notebook executed with nbmake
## One single-threaded pytest worker per core: on small tensors that beats one multi-threaded process.
test: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests --nbmake book -q -n auto --nbmake-timeout=900 \
	  --durations=15 $(NBMAKE_ARGS)

test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest tests -q -n auto -m "not slow"

site-check: $(STAMP)
	$(PY) tests/site_check.py _build/html

## make experiment: the default experiment (SemGCN trained on the synthetic poses)
experiment: $(STAMP)
	$(PY) -m semgcn experiment synthetic-semgcn

benchmark: $(STAMP)
	$(PY) -m semgcn benchmark

clean:
	rm -rf _build

## make install-cells: rewrite every chapter's Colab install cell from _config.yml's repository.url
install-cells: $(STAMP)
	$(PY) -c "from semgcn.viz.book import sync_install_cells as s; print('updated:', [str(p) for p in s(write=True)])"
