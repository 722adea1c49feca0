"""Hostile scenario files: each is a clean collection error naming file and line.

Never an INTERNALERROR, a traceback, a hang or a memory blow-up, and the
other files of the run still run. The corpus lives in ``corpus/`` (plain text
files, one problem each) and :mod:`tests.hostile.generated` (huge, binary,
pipes, link loops); the tests copy both into a fresh folder and run pytest there.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from runner.core.errors import ScenarioFileError
from runner.language.loader import MockFileCache, load_scenarios
from runner.tools import cli
from tests.hostile.generated import write_generated
from tests.spawned import run_measured

CORPUS = Path(__file__).with_name("corpus")
YAML = "invalid YAML: "
CHECK = "; check the indentation and quoting on this line and the one above it"
MOCK_FIX = ("; give the path of a YAML file relative to this scenario file's folder, or write "
            "the agent inline under `mock:`")
REGEX_FIX = ("; escape special characters such as ( [ ? + * with a backslash, or use `contains` "
             "for plain text")
UNDEFINED_FIX = ("; define it under `vars:`, in every `examples` row, or `save:` it in an "
                 "earlier step")
DEEP = "the YAML is nested more than 64 levels deep; flatten the structure; scenarios never need " \
       "this depth"
TOO_BIG = "; split it into several files, and keep long texts short"
DUPLICATE = "; remove one of them; YAML keeps only one value per key"
TAG_FIX = ("; remove it: scenario files hold plain values (a shared mock agent is "
           "`mock: path/to/agent.yaml`)")

# The first line of what each file gives: what a person reads, pinned.
EXPECTED = {
    "01-unclosed-quote": f":4: {YAML}found unexpected end of stream (while scanning a quoted "
                         f"scalar){CHECK}",
    "02-bad-indentation": f":4: {YAML}expected <block end>, but found '<block mapping start>' "
                          f"(while parsing a block mapping){CHECK}",
    "03-unclosed-flow": f":3: {YAML}expected ',' or ']', but got '<stream end>' (while parsing a "
                        f"flow sequence){CHECK}",
    "04-tab-indent": ":3: a tab character is used for indentation; indent YAML with spaces only",
    "05-tab-after-dash": ":3: a tab character is used for indentation; indent YAML with spaces "
                         "only",
    "06-duplicate-top-key": f":4: duplicate key 'scenario' (first written on line 1){DUPLICATE}",
    "07-duplicate-step-key": f":5: duplicate key 'expect' (first written on line 4){DUPLICATE}",
    "08-duplicate-mock-key": f":4: duplicate key 'default_reply' (first written on line 3)"
                             f"{DUPLICATE}",
    "09-duplicate-flow-key": f":3: duplicate key 'customer' (first written on line 3){DUPLICATE}",
    "10-steps-is-a-string": ":2: `steps` must be a list, not the string 'customer: Hi'; write "
                            "steps: [{customer: Hi}, {takeover: null}]",
    "11-scenario-is-a-list": ":1: `scenario` must be text, not a list; write scenario: Refund "
                             "request is escalated to a human",
    "12-tags-is-a-mapping": ":2: `tags` must be a list, not a mapping; write tags: [refund, "
                            "escalation]",
    "13-expect-is-a-list": ":4: `expect` must be a mapping, not a list; write the expectations "
                           "as a mapping, e.g. `expect: {reply: Hi}`",
    "14-top-level-list": ":1: a scenario must be a mapping of keys such as `scenario:` and "
                         "`steps:`, not a list; start the document with `scenario: <a name for "
                         "the test>`",
    "15-top-level-text": ":1: a scenario must be a mapping of keys such as `scenario:` and "
                         "`steps:`, not the string 'just some text'; *",
    "16-unknown-top-key": ":4: unknown key 'setps' at the top level of the scenario (did you "
                          "mean 'steps'?); use one of: scenario, *",
    "17-unknown-step-action": ":3: unknown key 'custmer' in a step (did you mean 'customer'?); "
                              "use one of: customer, *",
    "18-unknown-expect-key": ":4: unknown key 'replly' in `expect` (did you mean 'reply'?); use "
                             "one of: reply, *",
    "19-two-actions": ":3: a step needs exactly one action (*); this one has customer and "
                      "whisper; split it into one step per action, each starting with `- `",
    "20-empty": ":1: the file holds no scenario; write at least `scenario:` and `steps:`",
    "21-only-comments": ":1: the file holds no scenario; write at least `scenario:` and `steps:`",
    "22-only-separators": ":1: the file holds no scenario; write at least `scenario:` and "
                          "`steps:`",
    "23-binary": ":1: the file is binary, not YAML text; save it as UTF-8 text",
    "24-invalid-utf8": ":4: the file is not valid UTF-8 (byte 0xe9); save the file as UTF-8",
    "25-invalid-regex-expect": f":5: invalid regular expression /(unclosed/: missing ), "
                               f"unterminated subpattern at position 0{REGEX_FIX}",
    "26-invalid-regex-mock": f":4: mock.replies[0].when: invalid regular expression /[a-/: "
                             f"unterminated character set at position 0{REGEX_FIX}",
    "27-invalid-regex-nested": f":8: invalid regular expression /*oops/: nothing to repeat at "
                               f"position 0{REGEX_FIX}",
    "28-undefined-variable": f":3: undefined variable 'order'{UNDEFINED_FIX}",
    "29-undefined-in-name": f":1: undefined variable 'nobody'{UNDEFINED_FIX}",
    "30-undefined-env": ":3: environment variable 'OSVI_HOSTILE_NOT_SET' is not set; export it "
                        "before running, or use a `vars:` value",
    "31-malformed-placeholder": ":3: malformed placeholder near '{{ name'; write placeholders as "
                                "{{ name }} or {{ env.NAME }}: *",
    "32-missing-mock-file": f":2: mock agent file 'agents/nowhere.yaml' not found (looked for "
                            f"*/agents/nowhere.yaml){MOCK_FIX}",
    "33-mock-is-this-file": f":2: mock agent file '33-mock-is-this-file.scenario.yaml' is this "
                            f"scenario file itself{MOCK_FIX}",
    "34-mock-is-a-directory": f":2: mock agent file '.' is a folder (looked for *){MOCK_FIX}",
    "35-mock-file-is-broken": "mocks/broken.yaml:2: mock.replies[0].when: invalid regular "
                              f"expression /(/: missing ), unterminated subpattern at position 0"
                              f"{REGEX_FIX}",
    "36-python-object-tag": f":1: the YAML tag '!!python/object/apply:os.system' is not "
                            f"supported{TAG_FIX}",
    "37-unknown-tag": f":2: the YAML tag '!include' is not supported{TAG_FIX}",
    "38-complex-key": ":3: a key must be a plain word, not a list or a mapping; write keys as "
                      "words, e.g. `customer:`",
    "39-control-character": ":1: the file holds the control character U+0007, which YAML does "
                            "not allow; delete it (most editors do not show it; it often comes "
                            "with copy and paste)",
    "40-alias-bomb": ":1: the YAML expands to too many values (an alias bomb?); write the "
                     "values out instead of nesting aliases",
    "41-recursive-alias": ":2: an alias (`*name`) refers to the list or mapping that holds it, "
                          "so it never ends; remove the alias, or point it at something outside",
    "42-undefined-alias": f":2: {YAML}found undefined alias 'nowhere'{CHECK}",
    "43-duration-nonsense": ":2: `timeout: forever` is not a duration; write a number with a "
                            "unit, e.g. 200ms, 30s, 10m, 1h or 1m30s",
    "44-examples-not-a-list": ":2: `examples` must be a list, not a mapping; write examples: *",
    "45-empty-steps": ":2: `steps` is empty; add at least one step, e.g. `- customer: Hi`",
    "46-lone-surrogate": ":1: the text holds the escape \\ud800, half of a UTF-16 pair, which is "
                         "not a character; write the character itself, or escape a whole one as "
                         "\\UXXXXXXXX",
    "47-terminal-escape": ":4: unknown key '\\x1b[[]2J\\x1b[[]31mgotcha' in `expect`; use one of: "
                          "reply, *",
    "48-second-document-broken": ":7: `customer` must be text, not a list; write customer: *",
    "49-merge-key-wrong": f":3: {YAML}expected a mapping or list of mappings for merging, but "
                          f"found scalar (while constructing a mapping){CHECK}",
    "50-session-step-first": ":3: `takeover` needs a session, but no `customer` step has run "
                             "yet; add a `customer:` step before it, or give `session_id:`",
    "51-utf16": ":1: the file is binary, not YAML text; save it as UTF-8 text",
    "52-five-mb-line": f":1: the file is 5.0 MiB; a scenario or mock agent file may have at most "
                       f"128 KiB{TOO_BIG}",
    "53-deep-flow": f":2: {DEEP}",
    "54-deep-block": f":66: {DEEP}",
    "55-mock-symlink-loop": f":2: mock agent file 'loop.yaml' is a symbolic link that loops or "
                            f"leads nowhere (looked for */loop.yaml){MOCK_FIX}",
    "56-mock-via-link": f":2: mock agent file 'back-to-scenario.yaml' is this scenario file "
                        f"itself{MOCK_FIX}",
    "58-mock-is-a-pipe": f":2: mock agent file 'pipe-agent.yaml' is not a regular file (a pipe "
                         f"or a device?) (looked for */pipe-agent.yaml){MOCK_FIX}",
    "59-dense-two-mb": f":1: the file is 2.1 MiB; a scenario or mock agent file may have at most "
                       f"128 KiB{TOO_BIG}",
    "60-long-key": f":2: {YAML}could not find expected ':' (while scanning a simple key){CHECK}",
    "61-huge-mock-file": f"huge-agent.yaml:1: the file is 5.0 MiB; a scenario or mock agent file "
                         f"may have at most 128 KiB{TOO_BIG}",
    "63-a-pipe": ":1: this is a pipe, socket or device, not an ordinary file; scenario and mock "
                 "agent files must be ordinary text files",
}
GOOD = "scenario: Still runs\nsteps:\n  - customer: Hi\n"


def _line(name: str) -> str:
    expected = EXPECTED[name]
    return expected if not expected.startswith(":") else f"{name}.scenario.yaml{expected}"


def _fill(folder: Path) -> Path:
    """The whole corpus in ``folder``, and one good scenario."""
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True)
    write_generated(folder)
    (folder / "zz-good.scenario.yaml").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fill(tmp_path_factory.mktemp("hostile"))


def test_the_corpus_covers_every_expectation(hostile: Path) -> None:
    files = {p.name.removesuffix(".scenario.yaml") for p in hostile.glob("*.scenario.yaml")
             if not p.is_dir()}
    assert files - {"zz-good"} == set(EXPECTED)
    assert len(EXPECTED) >= 40


@pytest.mark.spawns  # the memory of a whole run, in a process of its own
def test_each_hostile_file_is_one_clean_collection_error(tmp_path: Path) -> None:
    _fill(tmp_path)
    result, peak = run_measured(tmp_path, "--continue-on-collection-errors", "-rN",
                                timeout=120)
    result.assert_outcomes(passed=1, errors=len(EXPECTED))
    out = result.stdout.str()
    for name in sorted(EXPECTED):
        result.stdout.fnmatch_lines([f"*ERROR collecting {name}.scenario.yaml*", _line(name)])
    for sign in ("Traceback", "INTERNALERROR", "site-packages", "Error:"):
        assert sign not in out + result.stderr.str()
    result.stdout.fnmatch_lines([f"scenario files that could not be loaded ({len(EXPECTED)}):"])
    # No file may take a lot of memory either: an expanded alias bomb would need gigabytes.
    assert peak < 1024**3, f"a pytest run used {peak // 1024**2} MiB"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file_loads_quickly(hostile: Path, name: str) -> None:
    # benchmarks/hostile_files.py measures these; here a loose bound only catches hangs.
    started = time.monotonic()
    with pytest.raises(ScenarioFileError):
        load_scenarios(hostile / f"{name}.scenario.yaml", os.environ, MockFileCache())
    assert time.monotonic() - started < 10


@pytest.mark.timeout(60)  # a failure, not a hang, if the pipe were ever opened
def test_a_pipe_named_like_a_scenario_never_blocks(pytester: pytest.Pytester,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # Reading a named pipe waits for a writer that never comes.
    os.mkfifo(pytester.path / "pipe.scenario.yaml")
    collected = pytester.runpytest("pipe.scenario.yaml", "-p", "no:cacheprovider")
    assert collected.ret == pytest.ExitCode.INTERRUPTED  # a collection error, not a hang
    collected.stdout.fnmatch_lines([
        "pipe.scenario.yaml:1: this is a pipe, socket or device, not an ordinary file; scenario "
        "and mock agent files must be ordinary text files"])
    assert cli.main(["check", "."]) == 1  # pytester has made its folder the current one
    pytest.LineMatcher(capsys.readouterr().out.splitlines()).fnmatch_lines([
        "pipe.scenario.yaml:1: this is a pipe, socket or device, not an ordinary file; scenario "
        "and mock agent files must be ordinary text files"])


def test_the_project_run_does_not_collect_the_corpus(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(str(Path(__file__).parent), "--collect-only", "-q",
                                "-p", "no:cacheprovider")
    assert "corpus/" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.OK

