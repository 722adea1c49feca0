# Entry points for people and CI. Each target bootstraps .venv on first use
# (with the `semantic` extra, which the similar_to example scenario needs),
# so a fresh clone needs nothing but Python 3.10+ (and Node 20+ for the HTML report).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
REPORTS := reports

.PHONY: scenarios report test lint check bench clean

$(BIN)/pytest: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic]'
	@touch $@

# Allure 3, pinned by package-lock.json.
node_modules/.package-lock.json: package-lock.json
	npm ci --prefer-offline --no-audit --no-fund
	@touch $@

# The main job: every example scenario against the embedded mock, then the
# reports. The HTML report is rendered even when scenarios fail (that is when
# it is read); make exits with pytest's status.
scenarios: $(BIN)/pytest
	@status=0; \
	$(BIN)/pytest scenarios -p no:cacheprovider \
	  --junitxml=$(REPORTS)/junit.xml \
	  --alluredir=$(REPORTS)/allure-results --clean-alluredir \
	  --osvi-transcripts=$(REPORTS)/transcripts || status=$$?; \
	$(MAKE) --no-print-directory report; \
	exit $$status

# Render reports/allure-report/index.html from reports/allure-results.
report: $(BIN)/pytest
	@if command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory node_modules/.package-lock.json && \
	  $(BIN)/python -m runner.report.render_html; \
	else \
	  echo "Node.js/npm not found: skipping the HTML report (results are in $(REPORTS)/allure-results)"; \
	fi

# The project's own tests, on every core (pytest-xdist; work stealing evens out the
# few long ones). Everything runs, `spawns` tests included: see tests/README.md.
test: $(BIN)/pytest
	$(BIN)/pytest tests -n auto --dist worksteal

lint: $(BIN)/pytest
	$(BIN)/ruff check runner tests benchmarks
	$(BIN)/mypy

check: $(BIN)/pytest
	$(BIN)/osvi-scenarios check scenarios

# Speed and memory figures against the targets (about 9 minutes; not part of CI).
# BENCH_ARGS picks a part or a size: make bench BENCH_ARGS="--only conversations --quick"
bench: $(BIN)/pytest
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# Keeps reports/history.jsonl, so trends survive a clean.
clean:
	rm -rf $(REPORTS)/allure-results $(REPORTS)/allure-report $(REPORTS)/junit.xml \
	  $(REPORTS)/transcripts
