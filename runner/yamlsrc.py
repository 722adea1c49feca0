"""YAML loading that remembers where everything was written.

Mappings load as :class:`YMap` and sequences as :class:`YList`; both are plain
``dict``/``list`` subclasses that also carry the line they start on and the line
of each key or item, so later errors can point at the exact line. Duplicate keys,
which PyYAML accepts silently, are rejected. PyYAML is never patched globally:
all of this lives in a private SafeLoader subclass.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.errors import Problem, ScenarioFileError

# Guards against alias bombs ("billion laughs"): a tree that expands past this
# many nodes is refused before anything walks it.
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64


class YMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each of its keys."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, *args: Any, line: int = 0) -> None:
        super().__init__(*args)
        self.line = line
        self.item_lines = []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


def line_at(root: Any, path: Iterable[str | int], default: int = 1) -> int:
    """The line of the deepest key or item of ``path`` that exists below ``root``."""
    node, line = root, line_of(root, None, default)
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.line_of(part), node[part]
        else:
            break
    return line


def line_of(node: Any, key: str | int | None = None, default: int = 1) -> int:
    """The line of ``node`` (or of its ``key``), falling back to ``default``."""
    if isinstance(node, YMap):
        return node.line_of(key) if isinstance(key, str) else node.line
    if isinstance(node, YList):
        return node.line_of(key) if isinstance(key, int) else node.line
    return default


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds YMap/YList; registered constructors stay private to it."""


class _TooLarge(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _construct_mapping(loader: _LineLoader, node: MappingNode) -> YMap:
    result = YMap(line=node.start_mark.line + 1)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable) or isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        # Keys are names in this language: keep them as written, so YAML 1.1's
        # `on:`/`yes:` stay "on"/"yes" instead of becoming True.
        if isinstance(key, str):
            key_text = key
        elif isinstance(key_node, ScalarNode):
            key_text = str(key_node.value)
        else:
            key_text = str(key)
        if key_text in result:
            first = result.key_lines.get(key_text, result.line)
            raise _DuplicateKey(key_text, key_node.start_mark.line + 1, first)
        result[key_text] = loader.construct_object(value_node, deep=True)
        result.key_lines[key_text] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: SequenceNode) -> YList:
    result = YList(line=node.start_mark.line + 1)
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first: int) -> None:
        self.key, self.line, self.first = key, line, first


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _measure(node: Node) -> tuple[int, int]:
    """(expanded size, depth) of a node graph, counting each alias use in full.

    Memoised per node, so it is linear in the unique nodes even for an alias bomb
    whose expansion would be astronomically large.
    """
    memo: dict[int, tuple[int, int]] = {}

    def visit(current: Node, level: int) -> tuple[int, int]:
        key = id(current)
        if key in memo:
            return memo[key]
        if level > MAX_DEPTH:
            return 1, level
        children: list[Node] = []
        if isinstance(current, SequenceNode):
            children = list(current.value)
        elif isinstance(current, MappingNode):
            children = [n for pair in current.value for n in pair]
        size, depth = 1, 1
        for child in children:
            child_size, child_depth = visit(child, level + 1)
            size = min(size + child_size, MAX_EXPANDED_NODES + 1)
            depth = max(depth, child_depth + 1)
        memo[key] = (size, depth)
        return memo[key]

    return visit(node, 1)


class Document:
    """One YAML document of a file: its data and the line it starts on."""

    def __init__(self, data: Any, line: int) -> None:
        self.data = data
        self.line = line


def _friendly_yaml_error(path: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(error, "problem", None) or str(error)
    if "'\\t'" in problem or "\\t" in problem or "tab" in problem:
        return Problem(path, line, "a tab character is used for indentation",
                       "indent YAML with spaces only")
    context = getattr(error, "context", None)
    text = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, text,
                   "check the indentation and quoting on this line and the one above it")


def load_documents(text: str, path: str | Path) -> list[Document]:
    """Parse every YAML document in ``text``; raise :class:`ScenarioFileError` on any problem."""
    name = str(path)
    loader = _LineLoader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            size, depth = _measure(node)
            if size > MAX_EXPANDED_NODES:
                raise _TooLarge(node.start_mark.line + 1)
            if depth > MAX_DEPTH:
                raise ScenarioFileError.single(
                    name, node.start_mark.line + 1,
                    f"the YAML is nested more than {MAX_DEPTH} levels deep",
                    "flatten the structure; scenarios never need this depth")
            line = node.start_mark.line + 1
            data = loader.construct_document(node)
            if isinstance(node, ScalarNode) and data is None:
                continue  # an empty document between two `---`
            documents.append(Document(data, line))
    except _DuplicateKey as dup:
        raise ScenarioFileError.single(
            name, dup.line, f"duplicate key '{dup.key}' (first written on line {dup.first})",
            "remove one of them; YAML keeps only one value per key") from None
    except _TooLarge as big:
        raise ScenarioFileError.single(
            name, big.line, "the YAML expands to too many values (an alias bomb?)",
            "write the values out instead of nesting aliases") from None
    except yaml.YAMLError as error:
        raise ScenarioFileError([_friendly_yaml_error(name, error)]) from None
    except RecursionError:
        raise ScenarioFileError.single(
            name, 1, "the YAML is nested too deeply or refers to itself",
            "remove recursive aliases") from None
    finally:
        loader.dispose()
    return documents


def read_text(path: Path) -> str:
    """Read a YAML file as UTF-8, turning decoding problems into a located error."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioFileError.single(path, 1, f"cannot read the file: {error.strerror}",
                                       "check that it exists and is readable") from None
    if b"\x00" in raw:
        raise ScenarioFileError.single(path, 1, "the file is binary, not YAML text",
                                       "save it as UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ScenarioFileError.single(
            path, line, f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            "save the file as UTF-8") from None


def load_file(path: Path) -> list[Document]:
    return load_documents(read_text(path), path)
