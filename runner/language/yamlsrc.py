"""YAML loading that remembers where everything was written.

Mappings load as :class:`YMap` and sequences as :class:`YList`; both are plain
``dict``/``list`` subclasses that also carry the line they start on and the line
of each key or item (and the file they come from), so later errors, even those
found while a scenario runs, can point at the exact line. Duplicate keys,
which PyYAML accepts silently, are rejected. PyYAML is never patched globally:
all of this lives in a private SafeLoader subclass.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.core.errors import Problem, ScenarioFileError

# Guards against alias bombs ("billion laughs"): a document that expands past
# this many nodes, or this many characters of text, is refused before anything
# walks it. A file has at most 128 KiB, so only aliases can get near either.
MAX_EXPANDED_NODES = 100_000
MAX_EXPANDED_CHARS = 1_000_000
MAX_DEPTH = 64
# Thirty times the largest example scenario, and what the pure-Python parser
# reads in about a second: a bigger file is refused before it is parsed.
MAX_FILE_BYTES = 128 * 1024


class YMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each of its keys."""

    line: int
    key_lines: dict[str, int]
    file = ""  # the file it was read from, set by the loader

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
    file = ""  # the file it was read from, set by the loader

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
        in_map = isinstance(node, YMap) and isinstance(part, str) and part in node
        in_list = isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_map or in_list):
            break
        line, node = node.line_of(part), node[part]
    return line


def line_of(node: Any, key: str | int | None = None, default: int = 1) -> int:
    """The line of ``node`` (or of its ``key``), falling back to ``default``."""
    if isinstance(node, YMap):
        return node.line_of(key) if isinstance(key, str) else node.line
    if isinstance(node, YList):
        return node.line_of(key) if isinstance(key, int) else node.line
    return default


def location(node: Any, key: str | int | None = None) -> str:
    """``file:line`` of ``node`` (or of its ``key``), or "" for data not read from a file.

    The file is shown relative to the working folder when it is inside it.
    """
    file = getattr(node, "file", "")
    return f"{display_path(file)}:{line_of(node, key)}" if file else ""


def display_path(file: str) -> str:
    """``file`` relative to the working folder when it is inside it, as problems show it."""
    try:
        shown = os.path.relpath(file)
    except ValueError:  # another drive on Windows
        return file
    return file if shown.startswith("..") else shown


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds YMap/YList; registered constructors stay private to it."""

    # PyYAML's scanner does work in proportion to the nesting at every token, so
    # 50,000 `[` would keep it busy for minutes: refuse deep nesting as it is read.
    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(self.get_mark().line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise _TooDeep(self.get_mark().line + 1)
        return bool(super().add_indent(column))


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Recursive(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _BadText(Exception):
    def __init__(self, line: int, message: str,
                 fix: str = "write the character itself, or escape a whole one as "
                            "\\UXXXXXXXX") -> None:
        self.line, self.message, self.fix = line, message, fix


class _TooLarge(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooLong(Exception):
    """Aliases repeat text until the document would hold too many characters."""

    def __init__(self, line: int) -> None:
        self.line = line


def _construct_mapping(loader: _LineLoader, node: MappingNode) -> YMap:
    result = YMap(line=node.start_mark.line + 1)
    result.file = getattr(loader, "source_name", "")
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
    result.file = getattr(loader, "source_name", "")
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first: int) -> None:
        self.key, self.line, self.first = key, line, first


_SURROGATE = re.compile("[\ud800-\udfff]")


def _construct_str(loader: _LineLoader, node: ScalarNode) -> str:
    # A "\ud800" escape yields half a character: it cannot be printed, sent as
    # JSON or written to a report, so it is refused where it is written.
    text = str(loader.construct_scalar(node))
    found = _SURROGATE.search(text)
    if found:
        raise _BadText(node.start_mark.line + 1,
                       f"the text holds the escape \\u{ord(found.group()):04x}, half of a "
                       "UTF-16 pair, which is not a character")
    return text


def _construct_int(loader: _LineLoader, node: ScalarNode) -> int:
    # Python refuses to read an integer of more than 4,300 digits (a guard against
    # slow conversions); no scenario value needs even twenty.
    try:
        return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    except ValueError:
        digits = sum(c.isdigit() for c in str(node.value))
        raise _BadText(node.start_mark.line + 1,
                       f"the number on this line has {digits} digits, more than a number "
                       "may have", "write a shorter number (quote it to make it text)") from None


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

_FastLineLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLineLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """The same loader on libyaml's parser, for files that are not too deep for it."""

    _FastLineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _FastLineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
    _FastLineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
    _FastLineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

# libyaml composes nodes by C recursion: nesting some 10^5 deep crashes the
# process instead of raising. 20,000 levels were seen to be fine; files that
# might nest deeper than this go to the pure-Python parser, which refuses them.
_FAST_MAX_NESTING = 10_000


@dataclass(frozen=True)
class _Size:
    nodes: int
    depth: int
    chars: int


def _measure(node: Node) -> tuple[_Size, int]:
    """The expanded size of a node graph, counting each alias use in full.

    Memoised per node, so it is linear in the unique nodes even for an alias bomb
    whose expansion would be astronomically large. Also returns the line of the
    value that aliases repeat most (the one to blame when the size is too large).
    """
    memo: dict[int, _Size] = {}
    path: set[int] = set()  # the nodes being visited: meeting one again is a cycle
    repeated: dict[int, tuple[int, int]] = {}  # node → (characters repeated, its line)

    def visit(current: Node, level: int) -> _Size:
        key = id(current)
        if key in memo:
            size = memo[key]
            total, line = repeated.get(key, (0, current.start_mark.line + 1))
            repeated[key] = (min(total + size.chars, MAX_EXPANDED_CHARS + 1), line)
            return size
        if key in path:
            raise _Recursive(current.start_mark.line + 1)
        if level > MAX_DEPTH:
            return _Size(1, level, 0)
        children: list[Node] = []
        if isinstance(current, SequenceNode):
            children = list(current.value)
        elif isinstance(current, MappingNode):
            children = [n for pair in current.value for n in pair]
        nodes, depth = 1, 1
        chars = len(current.value) if isinstance(current, ScalarNode) else 0
        path.add(key)
        for child in children:
            sub = visit(child, level + 1)
            nodes = min(nodes + sub.nodes, MAX_EXPANDED_NODES + 1)
            depth = max(depth, sub.depth + 1)
            chars = min(chars + sub.chars, MAX_EXPANDED_CHARS + 1)
        path.discard(key)
        memo[key] = _Size(nodes, depth, chars)
        return memo[key]

    size = visit(node, 1)
    blamed = max(repeated.values(), default=(0, node.start_mark.line + 1))
    return size, blamed[1]


def _measure_tree(node: Node) -> tuple[_Size, int]:
    """:func:`_measure` for a node graph with no alias: its depth; nodes and characters
    are bounded by the text (at most :data:`MAX_FILE_BYTES`), so they are not counted."""
    deepest = 1
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                break
        if isinstance(current, SequenceNode):
            stack.extend((child, level + 1) for child in current.value)
        elif isinstance(current, MappingNode):
            stack.extend((child, level + 1) for pair in current.value for child in pair)
    return _Size(0, deepest, 0), node.start_mark.line + 1


class Document:
    """One YAML document of a file: its data and the line it starts on."""

    def __init__(self, data: Any, line: int) -> None:
        self.data = data
        self.line = line


def _friendly_yaml_error(path: str, error: yaml.YAMLError, text: str = "") -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        # Raised before parsing starts, with a character offset instead of a mark.
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return Problem(path, line, f"the file holds the control character U+{code:04X}, "
                       "which YAML does not allow",
                       "delete it (most editors do not show it; it often comes with "
                       "copy and paste)")
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(error, "problem", None) or str(error)
    tag = re.search(r"could not determine a constructor for the tag '([^']*)'", problem)
    if tag:
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return Problem(path, line, f"the YAML tag '{shown}' is not supported",
                       "remove it: scenario files hold plain values (a shared mock agent is "
                       "`mock: path/to/agent.yaml`)")
    if problem == "a mapping key must be a plain value":
        return Problem(path, line, "a key must be a plain word, not a list or a mapping",
                       "write keys as words, e.g. `customer:`")
    if "'\\t'" in problem or "\\t" in problem or "tab" in problem:
        return Problem(path, line, "a tab character is used for indentation",
                       "indent YAML with spaces only")
    context = getattr(error, "context", None)
    text = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, text,
                   "check the indentation and quoting on this line and the one above it")


def load_documents(text: str, path: str | Path) -> list[Document]:
    """Parse every YAML document in ``text``; raise :class:`ScenarioFileError` on any problem.

    libyaml's parser (about ten times faster: it decides how fast a suite of
    thousands of files is collected) reads files it can safely nest through;
    a file with any problem is read again by the pure-Python one, whose
    messages every located error is worded from.
    """
    name = str(path)
    if _FastLineLoader is not None and _nesting_bound(text) <= _FAST_MAX_NESTING:
        try:
            return _load(text, name, _FastLineLoader)
        except ScenarioFileError:
            pass
    return _load(text, name, _LineLoader)


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep ``text`` can nest: every level opens with one of these."""
    return sum(text.count(mark) for mark in "[{-:?")


def _load(text: str, name: str, loader_class: type[_LineLoader] | type[_FastLineLoader]
          ) -> list[Document]:
    try:
        loader = loader_class(text)
    except yaml.YAMLError as error:  # the reader checks every character up front
        raise ScenarioFileError([_friendly_yaml_error(name, error, text)]) from None
    loader.source_name = name  # type: ignore[union-attr]
    # Without an alias (`*name`) the nodes form a tree no larger than the text: only its
    # depth needs measuring, and that without the alias bookkeeping.
    tree = "*" not in text and len(text) <= MAX_FILE_BYTES
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            size, blamed = (_measure_tree(node) if tree else _measure(node))
            if size.nodes > MAX_EXPANDED_NODES:
                raise _TooLarge(node.start_mark.line + 1)
            if size.chars > MAX_EXPANDED_CHARS:
                raise _TooLong(blamed)
            if size.depth > MAX_DEPTH:
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
    except _TooLong as long:
        raise ScenarioFileError.single(
            name, long.line, "aliases (`*name`) repeat the value written here until the "
            f"document would hold more than {MAX_EXPANDED_CHARS:,} characters (an alias bomb?)",
            "write the values out instead of repeating long ones through aliases") from None
    except _TooDeep as deep:
        raise ScenarioFileError.single(
            name, deep.line, f"the YAML is nested more than {MAX_DEPTH} levels deep",
            "flatten the structure; scenarios never need this depth") from None
    except _Recursive as loop:
        raise ScenarioFileError.single(
            name, loop.line, "an alias (`*name`) refers to the list or mapping that holds it, "
            "so it never ends", "remove the alias, or point it at something outside") from None
    except _BadText as bad:
        raise ScenarioFileError.single(name, bad.line, bad.message, bad.fix) from None
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
    """Read a YAML file as UTF-8, turning decoding problems into a located error.

    Only ordinary files are read (a named pipe would block forever), and at most
    :data:`MAX_FILE_BYTES` of them.
    """
    try:
        info = path.stat()
    except OSError as error:
        raise _unreadable(path, error) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
        target = _link_target(path)
        what = kind if target is None else f"a symbolic link to '{target}', {kind}"
        raise ScenarioFileError.single(
            path, 1, f"this is {what}, not an ordinary file",
            "scenario and mock agent files must be ordinary text files")
    try:
        # Never blocks: were the file swapped for a pipe since `stat`, opening it
        # does not wait for a writer, and the second look refuses it.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise ScenarioFileError.single(
                    path, 1, "this is a pipe, socket or device, not an ordinary file",
                    "scenario and mock agent files must be ordinary text files")
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _unreadable(path, error) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioFileError.single(
            path, 1, f"the file is {_size(info.st_size)}; a scenario or mock agent file may "
            f"have at most {_size(MAX_FILE_BYTES)}",
            "split it into several files, and keep long texts short")
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


def _unreadable(path: Path, error: OSError) -> ScenarioFileError:
    target = _link_target(path)
    fix = "point it at a scenario file, or delete it"
    if target is not None and error.errno == errno.ELOOP:
        return ScenarioFileError.single(
            path, 1, "this is a symbolic link that loops back on itself", fix)
    if target is not None and error.errno == errno.ENOENT:
        return ScenarioFileError.single(
            path, 1, f"this is a symbolic link to '{target}', which does not exist", fix)
    return ScenarioFileError.single(
        path, 1, f"cannot read the file: {(error.strerror or str(error)).lower()}",
        "check that it exists and is readable")


def _link_target(path: Path) -> str | None:
    """Where the symbolic link ``path`` points (as written in it), or None if it is no link."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MiB" if count >= 1024 * 1024 else f"{count // 1024} KiB"


def load_file(path: Path) -> list[Document]:
    return load_documents(read_text(path), path)
