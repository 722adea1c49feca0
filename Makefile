# Entry points for people and CI. Each target bootstraps .venv on first use,
# so a fresh clone needs nothing but Python 3.10+ (and Node for the HTML report).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
REPORTS := reports

.PHONY: scenarios test lint check clean

$(BIN)/pytest: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# The main job: every example scenario against the embedded mock, with reports.
scenarios: $(BIN)/pytest
	$(BIN)/pytest scenarios -p no:cacheprovider \
	  --junitxml=$(REPORTS)/junit.xml \
	  --alluredir=$(REPORTS)/allure-results --clean-alluredir

# The project's own tests.
test: $(BIN)/pytest
	$(BIN)/pytest tests

lint: $(BIN)/pytest
	$(BIN)/ruff check runner tests benchmarks
	$(BIN)/mypy

check: $(BIN)/pytest
	$(BIN)/osvi-scenarios check scenarios

clean:
	rm -rf $(REPORTS)/allure-results $(REPORTS)/allure-report $(REPORTS)/junit.xml
