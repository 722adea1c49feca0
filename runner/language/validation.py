"""Schema validation of scenario documents and mock agents, with errors a QA person can act on.

jsonschema reports what failed in schema terms ("'yes' is not valid under any of
the given schemas"). Here every error becomes one :class:`Problem` at the line
where the author wrote the offending key, saying what is wrong and what to write
instead. The schema's own ``title``/``description``/``examples`` drive most of
the wording, so the schema stays the single description of the format.

``mock-agent.schema.json`` is the one definition of the mock agent language: a
scenario's ``mock:`` refers to it, and agents files and shared mock files are
checked against it here too. A problem inside a mock agent is named by its
place (``mock.replies[0].when: ...``, ``agent_refunds.latency: ...``), so it
reads the same wherever the agent is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from runner.core.errors import Problem
from runner.core.schemas import load_schema, schema_path
from runner.core.suggest import did_you_mean
from runner.language.durations import DURATION_HELP
from runner.language.locate import (
    child,
    dedupe,
    dotted_path,
    kind_of,
    line_in,
    one_per_line,
    show,
    yaml_inline,
)
from runner.language.model import ACTIONS

if TYPE_CHECKING:
    # jsonschema (and referencing) load only when a document is not surely valid:
    # a valid suite never needs them, and they are a tenth of the start-up.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCENARIO_SCHEMA = "scenario.schema.json"
MOCK_SCHEMA = "mock-agent.schema.json"


KeyPath = Sequence[str | int]
Place = tuple[str | int, ...]  # a value's keys and indexes from the root

# Lower rank wins when two errors land on the same line: an unknown key explains
# more than the "no action" error it usually causes.
_RANK_UNKNOWN_KEY, _RANK_REQUIRED, _RANK_VALUE, _RANK_STEP_RULE = range(4)

# Where an object sits, by its schema title, for "unknown key ... in a step".
_PLACES = {
    "Scenario": "at the top level of the scenario",
    "Step": "in a step",
    "Expectations": "in `expect`",
    "Expected error": "in `expect.error`",
    "Text matcher": "in a text matcher",
    "List matcher": "in a list matcher",
    "Length": "in `length`",
    "Link": "in a link",
    "Examples row": "in an `examples` row",
}

_KINDS = {
    "string": "text", "null": "null", "object": "a mapping", "array": "a list",
    "boolean": "true or false", "integer": "a whole number", "number": "a number",
}

# Fixes for a wrong kind of value where the schema's examples do not say enough.
_KIND_FIXES = {
    "Examples row": "write each row as a mapping of variable names to values, "
                    "e.g. `- {id: english, greeting: Hi}`",
    "Expectations": "write the expectations as a mapping, e.g. `expect: {reply: Hi}`",
}

_NAME_RULE = "use letters, digits and _ only, starting with a letter or _"

# Invariants that take a value, hence not in the list form; with an example value each.
_VALUED_INVARIANTS = {"reply_never": "{contains_any: [Acme, Globex]}", "max_reply_length": "400"}

# Fixes for an empty mapping, by its schema title, where "give it a value" says too little.
_EMPTY_FIXES = {"Rule condition": "leave `when` out to match every turn"}

_JUDGE_IN_MOCK = ("only a scenario step's `expect` or its `invariants` can ask the LLM judge; "
                  "use similar_to, contains or matches instead")
_NOT_A_MOCK = ("a mock agent must be a mapping of keys such as `replies:` and `default_reply:`",
               'write e.g. {replies: [{when: "(?i)refund", reply: "Sure."}]}')


# --------------------------------------------------------------------------- schema loading

@cache
def _mock_schema() -> dict[str, Any]:
    """The mock agent schema, or a permissive stand-in when it is missing or broken.

    A broken sibling schema must not stop every scenario from validating; the
    mock's own checks (:mod:`runner.language.mock_checks`) still run.
    """
    if schema_path(MOCK_SCHEMA).is_file():
        try:
            schema = load_schema(MOCK_SCHEMA)
            if not _meta_valid(schema):
                raise ValueError("not a JSON Schema")
            return schema
        except Exception:
            pass
    return {"type": "object"}


def _meta_valid(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` is a valid Draft 2020-12 schema (jsonschema-rs when it can tell)."""
    try:
        import jsonschema_rs
        return bool(jsonschema_rs.meta.is_valid(schema))
    except Exception:  # not installed, or an older build without `meta`
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError:
            return False
        return True


@cache
def _filled_mock_schema() -> dict[str, Any]:
    """The mock agent schema where no ``{{ variable }}`` is left to fill in.

    An agents file has no variables, and a scenario's mock once its variables
    are filled in has none left, so a whole-string placeholder is no longer a
    valid value; everything else is the same schema.
    """
    schema = _mock_schema()
    definitions = schema.get("$defs")
    if not isinstance(definitions, dict) or "placeholder" not in definitions:
        return schema
    return {**schema, "$defs": {**definitions,
                                "placeholder": {"title": "Placeholder", "not": {}}}}


def _document(name: str, variables: bool = True) -> dict[str, Any]:
    if name == SCENARIO_SCHEMA:
        return load_schema(SCENARIO_SCHEMA)
    return _mock_schema() if variables else _filled_mock_schema()


@cache
def _validator(name: str, variables: bool = True) -> Draft202012Validator:
    """One compiled validator per schema per process; both schemas can refer to each other."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def resource(contents: dict[str, Any]) -> Resource[Any]:
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    registry: Registry[Any] = Registry().with_resources([
        (MOCK_SCHEMA, resource(_mock_schema())),
        (SCENARIO_SCHEMA, resource(load_schema(SCENARIO_SCHEMA))),
    ])
    return Draft202012Validator(_document(name, variables), registry=registry)


@cache
def _quick_check(name: str, variables: bool = True) -> Callable[[object], bool] | None:
    """A compiled validity check, when jsonschema-rs is installed (None: there is none).

    It only answers "valid or not", about 100 times faster than jsonschema, which
    is the difference for a suite of thousands of files. jsonschema still words
    every problem, so a file that fails the quick check is checked again by it.
    """
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        registry = jsonschema_rs.Registry([(MOCK_SCHEMA, _mock_schema()),
                                           (SCENARIO_SCHEMA, load_schema(SCENARIO_SCHEMA))])
        check: Callable[[object], bool] = jsonschema_rs.Draft202012Validator(
            _document(name, variables), registry=registry).is_valid
    except Exception:  # an unusable build or schema: jsonschema alone decides
        return None
    return check


def _surely_valid(data: object, schema_name: str, variables: bool) -> bool:
    check = _quick_check(schema_name, variables)
    if check is None:
        return False
    try:
        return check(data)
    except Exception:  # a value it cannot read (a YAML date, say): let jsonschema judge
        return False


# --------------------------------------------------------------------------- public API

def validate_document(data: object, file: str) -> list[Problem]:
    """Check one scenario document against ``scenario.schema.json``."""
    return validate_against(data, file, SCENARIO_SCHEMA)


def validate_against(data: object, file: str, schema_name: str) -> list[Problem]:
    """Check ``data`` against one of our schemas, one located problem per line."""
    return check_against(data, file, schema_name).problems


@dataclass(frozen=True)
class SchemaCheck:
    """What a schema said about a document: its problems, and the places it refused.

    ``rejected`` holds the path of every value the schema objected to (for an
    unknown key, the key's own path), so later checks can leave those alone
    instead of reporting the same mistake a second time.
    """

    problems: list[Problem]
    rejected: list[Place]


def check_against(data: object, file: str, schema_name: str, *, where: str = "mock",
                  variables: bool = True) -> SchemaCheck:
    """Check ``data`` against one of our schemas, one located problem per line.

    For the mock agent schema, ``where`` names the agent in messages (``mock``,
    or an agents file's ``agent_refunds``), and ``variables=False`` refuses the
    ``{{ variable }}`` placeholders a scenario would have filled in.
    """
    if _surely_valid(data, schema_name, variables):
        return SchemaCheck([], [])
    ctx = _Ctx(data, file, schema_name, where, variables)
    found: list[tuple[int, Problem]] = []
    rejected: list[Place] = []
    for error in _validator(schema_name, variables).iter_errors(data):
        for leaf in _leaves(error):
            found.extend(_translate(leaf, ctx))
            rejected.extend(_refused_paths(leaf))
    found.sort(key=lambda item: (item[1].line, item[0]))
    problems = (problem for _, problem in found)
    # A mock agent may be plain data (library use), where every problem says line 1.
    kept = one_per_line(problems, data) if schema_name == MOCK_SCHEMA else dedupe(problems)
    return SchemaCheck(kept, rejected)


def _refused_paths(error: ValidationError) -> list[Place]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = _schema_of(error).get("properties") or {}
        return [(*path, key) for key in error.instance if key not in known]
    return [path]


def subject(path: KeyPath) -> str:
    """How a message names the value at ``path``: `mode`, step 2, examples row 3..."""
    if not path:
        return "the scenario"
    last = path[-1]
    if isinstance(last, str):
        return f"`{last}`"
    parent = path[-2] if len(path) > 1 else None
    named = {"steps": "step", "finally": "`finally` step", "examples": "examples row",
             "tags": "tag"}
    if isinstance(parent, str) and parent in named:
        return f"{named[parent]} {last + 1}"
    return f"item {last + 1} of `{parent}`" if isinstance(parent, str) else f"item {last + 1}"


# --------------------------------------------------------------------------- choosing errors

def _is_placeholder_branch(errors: list[ValidationError]) -> bool:
    return any(_title(e) == "Placeholder" for e in errors)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """Replace an anyOf/oneOf error by the errors of the alternative the author meant.

    The alternative meant is the one whose type matches what was written; a
    whole-string placeholder alternative is never what a wrong value meant.
    """
    if error.validator not in ("anyOf", "oneOf") or _title(error) == "Step":
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0]
        branches.setdefault(int(index), []).append(sub)
    relevant = [
        errors for errors in branches.values()
        if not _is_placeholder_branch(errors)
        and not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if not relevant:
        return [error]
    if len(relevant) > 1:
        from jsonschema.exceptions import best_match

        chosen = best_match(e for errors in relevant for e in errors)
        return _leaves(chosen) if chosen is not None else [error]
    return [leaf for sub in relevant[0] for leaf in _leaves(sub)]


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _rule(error: ValidationError) -> Any:
    """The value of the failed keyword in the schema, e.g. the list of an ``enum``."""
    value: Any = error.validator_value
    return value


def _title(error: ValidationError) -> str:
    return str(_schema_of(error).get("title", ""))


def _in_duration(error: ValidationError) -> bool:
    # Walked by the errors' own links, not isinstance: the validator is cached, and a
    # second import of jsonschema (pytester restores sys.modules) has other classes.
    current: Any = error  # a jsonschema error, or None past the root
    while current is not None:
        if _title(current) == "Duration":
            return True
        current = current.parent
    return False


# --------------------------------------------------------------------------- translating

@dataclass(frozen=True)
class _Ctx:
    data: Any
    file: str
    schema_name: str
    where: str = "mock"  # the mock agent's name, when it is what is checked
    variables: bool = True  # whether a whole-string placeholder is a valid value

    def line(self, path: Iterable[str | int]) -> int:
        return line_in(self.data, path)

    def mock_place(self, path: Sequence[str | int]) -> str | None:
        """``mock.replies[0]`` for a place inside a mock agent; None anywhere else."""
        if self.schema_name == MOCK_SCHEMA:
            return dotted_path(self.where, path)
        inline = isinstance(self.data, dict) and isinstance(self.data.get("mock"), dict)
        if inline and list(path[:1]) == ["mock"]:
            return dotted_path("mock", path[1:])
        return None

    def problem(self, rank: int, path: Sequence[str | int], message: str, fix: str, *,
                named: Sequence[str | int] | None = None) -> tuple[int, Problem]:
        """A problem at ``path``'s line; inside a mock agent it starts with the place
        (``named``, else ``path``), as every mock agent problem does."""
        place = self.mock_place(path if named is None else named)
        text = message if place is None else f"{place}: {message}"
        return rank, Problem(self.file, self.line(path), text, fix)

    def subject(self, error: ValidationError, path: Sequence[str | int]) -> str:
        """How a message names the value: as :func:`subject`, except that an item of
        a mock agent's list is named by its kind (`a reply rule`, `a fault`)."""
        title = _title(error)
        if path and isinstance(path[-1], int) and title and self.mock_place(path) is not None:
            return _with_article(title.lower())
        return subject(path)


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


Found = Iterator[tuple[int, Problem]]


def _translate(error: ValidationError, ctx: _Ctx) -> list[tuple[int, Problem]]:
    path = list(error.absolute_path)
    if _in_duration(error):
        return list(_duration(error, ctx, path))
    handler = {
        "additionalProperties": _unknown_keys,
        "required": _required,
        "oneOf": _one_of,
        "anyOf": _wrong_kind,
        "type": _wrong_kind,
        "enum": _enum,
        "pattern": _pattern,
        "minItems": _empty,
        "minLength": _empty,
        "minProperties": _empty,
        "minimum": _range,
        "maximum": _range,
        "uniqueItems": _duplicates,
        "not": _excluded,
    }.get(str(error.validator), _fallback)
    return list(handler(error, ctx, path))


def _resolve(ref: str, current: Mapping[str, Any]) -> tuple[Any, Mapping[str, Any]]:
    """Follow a ``$ref`` between our two schemas; returns the target and its document."""
    base, _, pointer = ref.partition("#")
    document: Any = current
    if base:
        document = load_schema(SCENARIO_SCHEMA) if base == SCENARIO_SCHEMA else _mock_schema()
    node: Any = document
    for part in filter(None, pointer.split("/")):
        node = node.get(part) if isinstance(node, dict) else None
    return node, document


def _property_schema(error: ValidationError, ctx: _Ctx, key: str | int | None) -> Any:
    """The schema of property ``key`` on the error's schema path (it holds the examples).

    jsonschema leaves ``$ref`` hops out of the path, so refs are followed
    whenever the next step is not found in the current node.
    """
    document: Mapping[str, Any] = (load_schema(SCENARIO_SCHEMA)
                                   if ctx.schema_name == SCENARIO_SCHEMA else _mock_schema())
    node: Any = document
    found: Any = None
    previous: Any = None
    for part in error.absolute_schema_path:
        for _ in range(16):  # a chain of refs, bounded
            if isinstance(node, dict) and part not in node and isinstance(node.get("$ref"), str):
                node, document = _resolve(node["$ref"], document)
            else:
                break
        present, node = child(node, part) if isinstance(part, (str, int)) else (False, None)
        if not present:
            return found
        if previous == "properties" and part == key:
            found = node
        previous = part
    return found


def _write_example(key: str | int | None, schema: Any) -> str:
    """'write key: example' from the schema's examples, or an empty string."""
    examples = schema.get("examples") if isinstance(schema, dict) else None
    if not examples or not isinstance(key, str):
        return ""
    return f"write {key}: {yaml_inline(examples[0])}"


def _example_for(error: ValidationError, ctx: _Ctx, path: list[Any]) -> str:
    """A "write key: example" fix; for a list item, the example of the whole list."""
    key = path[-1] if path else None
    if isinstance(key, int) and len(path) >= 2 and isinstance(path[-2], str):
        key = path[-2]
    return _write_example(key, _property_schema(error, ctx, key))


def _unknown_keys(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    instance, schema = error.instance, _schema_of(error)
    if not isinstance(instance, dict):
        return
    props = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    allowed = list(props)
    title = _title(error)
    in_mock = ctx.mock_place(path) is not None
    # Inside a mock agent the message starts with the place already.
    place = "" if in_mock else " " + (
        _PLACES.get(title) or (f"in {subject(path)}" if path else "at the top level"))
    for key in instance:
        if key in props or any(re.search(p, str(key)) for p in patterns):
            continue
        if in_mock and key == "judge":
            yield ctx.problem(_RANK_UNKNOWN_KEY, [*path, key],
                              "`judge` cannot be used in a mock agent", _JUDGE_IN_MOCK,
                              named=path)
            continue
        moved = _misplaced(str(key), title)
        hint = "" if moved else did_you_mean(str(key), allowed)
        message = f"unknown key '{key}'{place}{hint}"
        fix = moved or "use one of: " + ", ".join(allowed)
        yield ctx.problem(_RANK_UNKNOWN_KEY, [*path, key], message, fix, named=path)


def _misplaced(key: str, title: str) -> str:
    """A fix for a key that is right, but written at the wrong level."""
    scenario = load_schema(SCENARIO_SCHEMA)
    expect_keys = scenario["$defs"]["expect"]["properties"]
    step_keys = scenario["$defs"]["step"]["properties"]
    if title == "Step" and key in expect_keys:
        return f"expectations go under `expect:`, e.g. expect: {{{key}: ...}}"
    if title == "Expectations" and key in step_keys:
        return f"`{key}` belongs to the step itself, next to `expect:`, not inside it"
    if title == "Scenario" and key in step_keys:
        return f"`{key}` belongs in a step: put it under `steps:`"
    return ""


def _required(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    instance, schema = error.instance, _schema_of(error)
    if not isinstance(instance, dict):
        return
    unknown = [str(k) for k in instance if k not in (schema.get("properties") or {})]
    for key in _rule(error):
        if key in instance or did_you_mean(key, unknown):
            continue  # a misspelt key is reported as unknown, with the right spelling
        if not path and key == "scenario":
            yield ctx.problem(_RANK_REQUIRED, path, "the scenario has no `scenario:` name",
                              "add a line such as `scenario: Refund request is escalated` "
                              "(it names the test)")
        elif not path and key == "steps":
            yield ctx.problem(_RANK_REQUIRED, path, "the scenario has no `steps:`",
                              "add `steps:` with at least one step, e.g. `- customer: Hi`")
        else:
            example = _write_example(key, (schema.get("properties") or {}).get(key))
            yield ctx.problem(_RANK_REQUIRED, path, f"{ctx.subject(error, path)} needs `{key}`",
                              example or f"add `{key}:`")


def _one_of(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    """The step rule: exactly one action key."""
    step = error.instance
    if _title(error) != "Step" or not isinstance(step, dict):
        yield from _wrong_kind(error, ctx, path)
        return
    step_keys = _schema_of(error).get("properties") or {}
    if any(key not in step_keys for key in step):
        return  # the unknown key (probably a misspelt action) is the real problem
    actions = [key for key in ACTIONS if key in step]
    rule = "a step needs exactly one action (" + ", ".join(ACTIONS) + ")"
    if not actions:
        yield ctx.problem(_RANK_STEP_RULE, path, f"{rule}; this one has none",
                          "add one, e.g. `- customer: Hi`; `name`, `expect` and `save` "
                          "go next to it")
    else:
        listed = ", ".join(actions[:-1]) + " and " + actions[-1]
        yield ctx.problem(_RANK_STEP_RULE, path, f"{rule}; this one has {listed}",
                          "split it into one step per action, each starting with `- `")


def _expected_kinds(error: ValidationError) -> list[str]:
    if error.validator == "type":
        value = _rule(error)
        return [value] if isinstance(value, str) else list(value)
    kinds: list[str] = []
    for sub in error.context or ():
        if sub.relative_path or _is_placeholder_branch([sub]):
            continue
        if sub.validator == "type":
            value = _rule(sub)
            kinds.extend([value] if isinstance(value, str) else value)
    return list(dict.fromkeys(kinds))


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    words = ["true/false" if w == "true or false" else w for w in words]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _wrong_kind(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    value = error.instance
    if not path and ctx.schema_name == MOCK_SCHEMA:
        message, fix = _NOT_A_MOCK
        yield ctx.problem(_RANK_VALUE, path, f"{message}, not {kind_of(value)}", fix)
        return
    if not path:
        yield ctx.problem(_RANK_VALUE, path,
                          "a scenario must be a mapping of keys such as `scenario:` and "
                          f"`steps:`, not {kind_of(value)}",
                          "start the document with `scenario: <a name for the test>`")
        return
    kinds = _expected_kinds(error)
    wanted = _join([_KINDS.get(k, k) for k in kinds]) or "something else"
    if _title(error) == "Step":
        wanted = "a mapping that starts with an action"
    yield ctx.problem(_RANK_VALUE, path,
                      f"{ctx.subject(error, path)} must be {wanted}, not {kind_of(value)}",
                      _kind_fix(error, ctx, path, kinds))


def _kind_fix(error: ValidationError, ctx: _Ctx, path: list[Any], kinds: list[str]) -> str:
    key, value = path[-1], error.instance
    title = _title(error)
    if title == "Step":
        text = value if isinstance(value, str) and "\n" not in value else "Hi"
        return f"write e.g. `- customer: {yaml_inline(text)}`"
    if value is None and kinds and "null" not in kinds and isinstance(key, str):
        return (f"nothing is written after `{key}:`; write the value there, or indent "
                "what belongs to it under it")
    if title in _KIND_FIXES:
        return _KIND_FIXES[title]
    if title == "Text matcher" and isinstance(value, list) and isinstance(key, str):
        items = yaml_inline(value)
        return (f"to require every item write {key}: {{contains: {items}}}; for any one of "
                f"them, {key}: {{contains_any: {items}}}")
    if "string" in kinds and isinstance(value, bool) and key != "mock":
        written = f"{key}: " if isinstance(key, str) else ""
        return (f'put the text in quotes, e.g. {written}"yes"; unquoted yes, no, on, off, '
                "true and false are booleans in YAML")
    if "string" in kinds and isinstance(value, (int, float)) and key != "mock":
        quoted = f'"{yaml_inline(value)}"'
        return f"put it in quotes: {key}: {quoted}" if isinstance(key, str) else (
            f"put it in quotes: {quoted}")
    example = _example_for(error, ctx, path)
    if example and isinstance(value, str) and "{{" in value and ctx.variables:
        return f'{example}, or a whole-string placeholder such as "{{{{ name }}}}"'
    return example or "write " + (_join([_KINDS.get(k, k) for k in kinds]) or "a valid value")


def _enum(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    values = [str(v) for v in _rule(error)]
    value = error.instance
    hint = did_you_mean(value, values) if isinstance(value, str) else ""
    if len(path) >= 2 and path[-2] == "save":
        yield ctx.problem(_RANK_VALUE, path,
                          f"`save` cannot store {show(value)}{hint}: it is not a field of "
                          "the answer", "save one of: " + ", ".join(values)
                          + ", or a path into the answer such as data.session_id")
        return
    if path[:1] == ["invariants"] and value in _VALUED_INVARIANTS:
        yield ctx.problem(_RANK_VALUE, path,
                          f"`{value}` needs a value, so it cannot be in the list of `invariants`",
                          "write `invariants` as a mapping, e.g. invariants: "
                          f"{{{value}: {_VALUED_INVARIANTS[value]}, whisper_never_leaks: true}}")
        return
    title = _title(error)
    if path and isinstance(path[-1], int) and title and ctx.mock_place(path) is not None:
        message = f"unknown {title.lower()} {show(value)}{hint}"  # unknown support command 'tel'
    else:
        message = f"{subject(path)} cannot be {show(value)}{hint}"
    yield ctx.problem(_RANK_VALUE, path, message, "use one of: " + ", ".join(values))


def _pattern(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    value = error.instance
    if "propertyNames" in error.absolute_schema_path:
        names_vars = bool(path) and (path[-1] in ("vars", "save")
                                     or (len(path) >= 2 and path[-2] == "examples"))
        where = "a variable name" if names_vars else "a key here"
        yield ctx.problem(_RANK_VALUE, [*path, str(value)], f"{show(value)} cannot be {where}",
                          f"{_NAME_RULE} (e.g. {_as_name(str(value))})")
        return
    if len(path) >= 2 and path[-2] == "tags":
        yield ctx.problem(_RANK_VALUE, path, f"tag {show(value)} cannot become a pytest mark",
                          "use letters, digits, _ . and - only, starting with a letter or _ "
                          f"(e.g. {_as_name(str(value))})")
        return
    if _rule(error) == r"\S" and isinstance(value, str):  # the schema's way to say "not blank"
        yield from _empty(error, ctx, path)
        return
    description = _schema_of(error).get("description", "")
    yield ctx.problem(_RANK_VALUE, path, f"{subject(path)} has the wrong form: {show(value)}",
                      str(description) or f"match the pattern {_rule(error)}")


def _as_name(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_") or "name"
    return name if re.match(r"[A-Za-z_]", name) else "_" + name


def _duration(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    key = path[-1] if path else None
    written = (f"`{key}: {yaml_inline(error.instance)}`" if isinstance(key, str)
               else show(error.instance))
    yield ctx.problem(_RANK_VALUE, path, f"{written} is not a duration", DURATION_HELP)


def _empty(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    key = path[-1] if path else None
    title = _title(error)
    if key == "steps":
        message, fix = "`steps` is empty", "add at least one step, e.g. `- customer: Hi`"
    elif title in ("Text matcher", "List matcher"):
        message = f"{subject(path)} is an empty {title.lower()} and checks nothing"
        fix = "add a key such as contains, matches or equals"
    elif title in _EMPTY_FIXES:
        message, fix = f"{subject(path)} is empty and checks nothing", _EMPTY_FIXES[title]
    elif isinstance(key, str):
        message, fix = f"{subject(path)} is empty", f"give it a value, or remove `{key}:`"
    else:
        message, fix = f"{subject(path)} is empty", "give it a value, or remove it"
    yield ctx.problem(_RANK_VALUE, path, message, fix)


def _range(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    schema = _schema_of(error)
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        bounds = f"between {low} and {high}"
    elif low is not None:
        bounds = f"{low} or more"
    else:
        bounds = f"{high} or less"
    yield ctx.problem(_RANK_VALUE, path,
                      f"{subject(path)} must be {bounds}, not {show(error.instance)}",
                      _example_for(error, ctx, path) or f"use a number {bounds}")


def _duplicates(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    items = error.instance if isinstance(error.instance, list) else []
    for index, item in enumerate(items):
        if item in items[:index]:
            yield ctx.problem(_RANK_VALUE, [*path, index],
                              f"{subject(path)} lists {show(item)} twice",
                              "remove the repeated one")
            return


def _excluded(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    """Keys that cannot go together (a ``dependentSchemas`` entry with ``not``).

    The schema words it: the entry's ``title`` says what is wrong, its
    ``description`` what to write instead.
    """
    schema, instance = _schema_of(error), error.instance
    title = schema.get("title")
    schema_path = list(error.absolute_schema_path)
    if not title or not isinstance(instance, dict) or "dependentSchemas" not in schema_path:
        yield from _fallback(error, ctx, path)
        return
    trigger = schema_path[len(schema_path) - schema_path[::-1].index("dependentSchemas")]
    forbidden = _required_somewhere(_rule(error))
    present = [str(key) for key in instance if key in forbidden]
    message = str(title)
    if len(forbidden) > 1:  # say which of the many it is
        message += f" (`{trigger}` with " + ", ".join(f"`{key}`" for key in present) + ")"
    yield ctx.problem(_RANK_VALUE, path, message, str(schema.get("description", "")))


def _required_somewhere(schema: Any) -> list[str]:
    """The keys a ``required`` names in ``schema`` or in its ``anyOf`` branches."""
    if not isinstance(schema, dict):
        return []
    keys = [str(key) for key in schema.get("required", [])]
    for branch in schema.get("anyOf", []):
        keys += _required_somewhere(branch)
    return keys


def _fallback(error: ValidationError, ctx: _Ctx, path: list[Any]) -> Found:
    description = _schema_of(error).get("description", "")
    yield ctx.problem(_RANK_VALUE, path, f"{subject(path)} is not valid: {error.message}",
                      str(description) or "see schemas/scenario.schema.json")
