"""Property tests: whatever text or YAML a file holds, loading it fails only cleanly.

The loader may accept a file or raise :class:`ScenarioFileError`, whose
problems name the file and a line; anything else (a KeyError deep in the
validation, a RecursionError, a TypeError on an odd value) would surface as
an INTERNALERROR in pytest.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.core.errors import ScenarioFileError
from runner.language.loader import MockFileCache, load_scenarios
from runner.language.yamlsrc import load_documents

EXAMPLES = int(os.environ.get("LOADER_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Pieces of YAML syntax and of the scenario language, so random text is often
# almost a scenario, which reaches far deeper than noise does.
FRAGMENTS = [
    "scenario: ", "steps:", "finally:", "mock:", "vars:", "examples:", "expect:", "save:",
    "replies:", "when: ", "reply: ", "- ", "customer: ", "takeover: ", "whisper: ", "wait: ",
    "close: null", "inject_context: ", "session_id: ", "matches: ", "any_of: ", "not: ",
    "contains: ", "length: ", "timeout: ", "faults:", "status: ", "{", "}", "[", "]", ", ",
    ": ", "? ", "&a ", "*a", "!!python/name:os.system", "!x ", "|", ">-", "'", '"', "#",
    "---", "...", "%YAML 1.1", "\n", "\n  ", "\n    ", "\t", "{{ x }}", "{{ env.HOME }}",
    "{{", "}}", "(", "\\u00e9", "\\ud800", "30s", "-1", "1e9", "null", "true", "~", "é",
    "\x07", "\ufeff",
]
yamlish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join)

KEYS = ["scenario", "steps", "finally", "customer", "takeover", "tell", "whisper", "operator",
        "end", "close", "inject_context", "wait", "expect", "save", "session_id", "reply",
        "mode", "state", "help_requested", "session", "active_human", "context", "error",
        "within", "matches", "contains", "any_of", "all_of", "not", "length", "min", "max",
        "mock", "replies", "when", "default_reply", "faults", "status", "latency", "vars",
        "examples", "id", "tags", "timeout", "skip", "xfail", "links", "url", "agent",
        "repeat", "runs", "invariants", "message", "x"]
scalars = (st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
           | st.sampled_from(["Hi", "", "(", "30s", "{{ x }}", "{{ env.NOPE }}", "agent_x",
                              "ai", "support", "mock.yaml", "."])
           | st.text(max_size=8))
trees: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=25)
scenarios = st.fixed_dictionaries(
    {"scenario": scalars, "steps": trees},
    optional={key: trees for key in ("mock", "vars", "examples", "finally", "tags", "timeout")})


def _load_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.scenario.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_scenarios(path, {"HOME": "/home/qa"}, MockFileCache())
        except ScenarioFileError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.line >= 1 and problem.message
                assert problem.format().isprintable()


@FUZZ
@given(st.text())
def test_any_text_loads_or_fails_cleanly(text: str) -> None:
    try:
        load_documents(text, "any.scenario.yaml")
    except ScenarioFileError as error:
        assert all(p.file == "any.scenario.yaml" and p.line >= 1 for p in error.problems)


@FUZZ
@given(yamlish)
def test_yaml_like_text_loads_or_fails_cleanly(text: str) -> None:
    _load_file(text)


@FUZZ
@given(scenarios)
def test_any_scenario_shaped_document_loads_or_fails_cleanly(tree: dict[str, Any]) -> None:
    _load_file(yaml.safe_dump(tree, allow_unicode=True))
