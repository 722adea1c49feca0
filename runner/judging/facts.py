"""The checkable facts of a text: numbers, amounts, dates, times, references, names.

An embedding model scores "order 12345" and "order 12354" as nearly the same
text. These facts are compared exactly instead (:mod:`runner.judging.guards`):
each fact of the expected text must be in the reply, in any usual spelling
("$40" = "40 dollars", "3" = "three", "March 3" = "3 March", "14:30" = "2:30 pm").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from runner.judging import lexicon
from runner.judging.sentences import WORD, normalise, sentences, words

# What a reader calls each kind of fact, for messages.
KIND_NAMES = {
    "email": "the e-mail address", "link": "the link", "phone": "the phone number",
    "reference": "the reference", "date": "the date", "time": "the time",
    "amount": "the amount", "percentage": "the percentage", "number": "the number",
    "weekday": "the day", "day": "the day", "month": "the month", "name": "the name",
    "literal": "the figure",
}
_NUMERIC = ("number", "amount", "percentage")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"\b(?:https?://|www\.)[^\s,;)\"']+|\b[\w-]+\.(?:com|org|net|io|de|fr|es|"
                   r"co\.uk|eu)(?:/[^\s,;)\"']*)?(?![\w@])", re.IGNORECASE)
_LITERAL = re.compile(r"\b24/7\b")
_PHONE = re.compile(r"(?<![\w.,/+-])\+?(?:\(\d{1,5}\)[ -]?)?\d{2,5}(?:[ -]\d{2,6}){1,4}"
                    r"(?![\w/-]|[.,]\d|\s*%)")
_UNIT_SUFFIX = r"(?:st|nd|rd|th|er|am|pm|h|hrs?|min|mins|s|kg|g|gb|mb|tb|km|m|cm|mm|l|ml|x|k)"
_REFERENCE = re.compile(
    r"#\s?\d+[\w-]*|\b(?=[\w-]*\d)(?=[\w-]*[^\W\d_])(?!\d+" + _UNIT_SUFFIX + r"\b)"
    r"[^\W_](?:[\w-]*[^\W_])?\b|\b\d{5,}\b", re.IGNORECASE)
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|\.)?"
_MONTH_NAMES = "|".join(sorted(
    (re.escape(m) for m in (*lexicon.MONTHS, *lexicon.MONTH_ABBREVIATIONS)), key=len,
    reverse=True))
_YEAR = r"(?:,?\s+(?:de\s+)?(\d{4}))?"
_MONTH = rf"({_MONTH_NAMES})(?![^\W\d_])\.?"  # "Mar." and "March", not "Marshall"
_DATE_DAY_FIRST = re.compile(rf"\b{_DAY}(?:\s+of|\s+de)?\s+{_MONTH}{_YEAR}", re.IGNORECASE)
_DATE_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+{_DAY}(?!\d){_YEAR}", re.IGNORECASE)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{4}|\d{2}))?\b(?![./]\d)")
_TIME = re.compile(
    r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?|\b(\d{1,2}):(\d{2})\b(?:\s*(?:uhr|h)\b)?"
    r"|\b(\d{1,2})h(\d{2})?\b|\b(\d{1,2})\s+uhr\b", re.IGNORECASE)
_CURRENCY_WORDS = "|".join(sorted((re.escape(c) for c in lexicon.CURRENCIES), key=len,
                                  reverse=True))
_NUMBER = r"\d+(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?:(?<![\w])({_CURRENCY_WORDS})\s?({_NUMBER}))|(?:\b({_NUMBER})\s?({_CURRENCY_WORDS})"
    r"(?![\w]))", re.IGNORECASE)
_PERCENT = re.compile(rf"\b({_NUMBER})\s?(%|percent\b|per cent\b|prozent\b|pour cent\b"
                      r"|por ciento\b)", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
                           r"(?:st|nd|rd|th|er)?(?![\w])|(?<![\w.,])(\d+)(?=[a-z]{1,3}\b)",
                           re.IGNORECASE)
_NOT_ENTITIES = frozenset({"i", "i'm", "i've", "i'll", "i'd", "ok", "okay", "id", "ps", "fyi",
                           "asap", "am", "pm", "mr", "mrs", "ms", "dr", "hi", "hello", "dear"})


@dataclass(frozen=True)
class Fact:
    """One fact as written (``text``) and the normalised forms it may match (``keys``)."""

    kind: str
    text: str
    keys: frozenset[Any]
    values: frozenset[Decimal] = field(default=frozenset())  # numbers a reader sees in it

    def name(self) -> str:
        """How a message names it: ``the number 12345``, ``the name "DHL"``."""
        if self.kind in ("name", "weekday", "day", "month"):
            return f'{KIND_NAMES[self.kind]} "{self.text}"'
        if self.kind == "reference" and self.text.lstrip("#").strip().isdigit():
            return f"the number {self.text}"  # an order number is a number to a reader
        return f"{KIND_NAMES[self.kind]} {self.text}"


def _decimal(text: str) -> Decimal | None:
    """``1,250.00`` → 1250, ``89,99`` → 89.99, ``1 000`` → 1000."""
    cleaned = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        return Decimal(cleaned).normalize()
    except InvalidOperation:
        return None


class _Text:
    """The text with the spans already taken by a fact, so digits count once."""

    def __init__(self, text: str) -> None:
        self.text = normalise(text)
        self.taken = [False] * len(self.text)

    def find(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        for match in pattern.finditer(self.text):
            if match.group().strip() and not any(self.taken[match.start():match.end()]):
                yield match

    def take(self, match: re.Match[str]) -> str:
        for i in range(match.start(), match.end()):
            self.taken[i] = True
        return match.group().strip().rstrip(".")


def _dates(text: _Text) -> Iterator[Fact]:
    for match in text.find(_DATE_ISO):
        iso_year, iso_month, iso_day = (int(g) for g in match.groups())
        if 1 <= iso_month <= 12 and 1 <= iso_day <= 31:
            yield Fact("date", text.take(match), frozenset({(iso_month, iso_day, iso_year)}))
    for pattern, day_group, month_group, year_group in ((_DATE_DAY_FIRST, 1, 2, 3),
                                                        (_DATE_MONTH_FIRST, 2, 1, 3)):
        for match in text.find(pattern):
            name = match.group(month_group).casefold()
            month = lexicon.MONTHS.get(name) or lexicon.MONTH_ABBREVIATIONS.get(name)
            if name in lexicon.CAPITALISED_MONTHS and not match.group(month_group)[0].isupper():
                continue
            day = int(match.group(day_group))
            year: int | None = int(match.group(year_group)) if match.group(year_group) else None
            if month and 1 <= day <= 31:
                yield Fact("date", text.take(match), frozenset({(month, day, year)}),
                           frozenset({Decimal(day)}))
    for match in text.find(_DATE_NUMERIC):
        first, second = int(match.group(1)), int(match.group(2))
        year_text = match.group(3)
        if year_text is None and "/" not in match.group():
            continue  # "2.5" is a number, not the 2nd of May
        numeric_year = None if year_text is None else int(year_text) % 100 + 2000
        readings = {(m, d, numeric_year) for d, m in ((first, second), (second, first))
                    if 1 <= m <= 12 and 1 <= d <= 31}
        if readings:
            yield Fact("date", text.take(match), frozenset(readings))


def _times(text: _Text) -> Iterator[Fact]:
    for match in text.find(_TIME):
        groups = match.groups()
        if groups[0] is not None:  # 3 pm, 8:45 a.m.
            hour, minute = int(groups[0]) % 12, int(groups[1] or 0)
            hour += 12 if groups[2].lower() == "p" else 0
            minutes = {hour * 60 + minute}
        else:
            hour_text, minute_text = next((h, m) for h, m in ((groups[3], groups[4]),
                                                              (groups[5], groups[6]),
                                                              (groups[7], None)) if h)
            hour, minute = int(hour_text), int(minute_text or 0)
            # "2:30" may be either half of the day; "14:30" only one.
            minutes = {hour * 60 + minute} | ({(hour + 12) * 60 + minute} if hour < 12 else set())
        if hour < 24 and minute < 60:
            yield Fact("time", text.take(match), frozenset(minutes),
                       frozenset({Decimal(hour % 12 or 12), Decimal(hour)}))


def _numbers(text: _Text, language: str) -> Iterator[Fact]:
    for match in text.find(_AMOUNT):
        currency = (match.group(1) or match.group(4)).casefold()
        value = _decimal(match.group(2) or match.group(3))
        if value is not None:
            code = lexicon.CURRENCIES[currency]
            yield Fact("amount", text.take(match), frozenset({(code, value)}),
                       frozenset({value}))
    for match in text.find(_PERCENT):
        value = _decimal(match.group(1))
        if value is not None:
            yield Fact("percentage", text.take(match), frozenset({value}), frozenset({value}))
    for match in text.find(_PLAIN_NUMBER):
        value = _decimal(match.group(1) or match.group(2))
        if value is not None:
            yield Fact("number", text.take(match), frozenset({value}), frozenset({value}))
    spelled = lexicon.NUMBER_WORDS[language]
    pattern = re.compile(r"\b(" + "|".join(spelled) + r")\b(\s+(?:percent|per cent|prozent|"
                         r"pour cent|por ciento)\b)?", re.IGNORECASE)
    for match in text.find(pattern):
        value = Decimal(spelled[match.group(1).casefold()])
        kind = "percentage" if match.group(2) else "number"
        yield Fact(kind, text.take(match), frozenset({value}), frozenset({value}))


def _day_names(text: _Text, language: str) -> Iterator[Fact]:
    relative = lexicon.RELATIVE_DAYS[language]
    for match in text.find(WORD):
        word = match.group().casefold()
        written = match.group()
        if word in lexicon.WEEKDAYS:
            yield Fact("weekday", text.take(match), frozenset({lexicon.WEEKDAYS[word]}))
        elif word in relative and not (word in lexicon.LOWERCASE_ONLY_DAYS
                                       and written[0].isupper()):
            yield Fact("day", text.take(match), frozenset({relative[word]}))
        elif word in lexicon.MONTHS and not (word in lexicon.CAPITALISED_MONTHS
                                             and written[0].islower()):
            yield Fact("month", text.take(match), frozenset({lexicon.MONTHS[word]}))


def _is_name(word: str, first: bool, language: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or word.casefold() in _NOT_ENTITIES or any(c.isdigit() for c in word):
        return False  # with digits: a reference, checked as one
    if word.isupper():
        return True  # DHL, UPS: brands and codes, wherever they stand
    if any(c.isupper() for c in word[1:]) and any(c.islower() for c in word):
        return True  # iPhone, PayPal
    # Capitalised words mid-sentence are names, except in German, where every noun is.
    return word[0].isupper() and not first and language != "de"


def _names(text: str, language: str) -> Iterator[Fact]:
    stop = lexicon.STOPWORDS[language]
    for sentence in sentences(normalise(text)):
        run: list[str] = []
        for index, match in enumerate(WORD.finditer(sentence)):
            word = match.group()
            folded = word.casefold()
            if (_is_name(word, index == 0, language) and folded not in stop
                    and folded not in lexicon.WEEKDAYS and folded not in lexicon.MONTHS):
                run.append(word)
                continue
            if run:
                yield _name_fact(run)
                run = []
        if run:
            yield _name_fact(run)


def _name_fact(run: list[str]) -> Fact:
    text = " ".join(run)
    return Fact("name", text, frozenset({tuple(_name_words(text))}))


def _name_words(text: str) -> list[str]:
    return [w.removesuffix("'s") for w in words(text)]


def extract(text: str, language: str | None = None) -> list[Fact]:
    """The facts of ``text``, in the order of the kinds above (not of the text)."""
    language = language or lexicon.language_of(words(text))
    found: list[Fact] = []
    spans = _Text(text)
    for kind, pattern in (("email", _EMAIL), ("link", _LINK), ("literal", _LITERAL)):
        for match in spans.find(pattern):
            written = spans.take(match)
            found.append(Fact(kind, written, frozenset({written.casefold()})))
    found += _dates(spans)
    found += _times(spans)
    for match in spans.find(_PHONE):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 7:
            found.append(Fact("phone", spans.take(match), frozenset({digits})))
    for match in spans.find(_REFERENCE):
        key = re.sub(r"[^0-9a-z]", "", match.group().casefold())
        values = frozenset({Decimal(key)}) if key.isdigit() else frozenset()
        found.append(Fact("reference", spans.take(match), frozenset({key}), values))
    found += _numbers(spans, language)
    found += _day_names(spans, language)
    found += _names(text, language)
    return found


def values_of(facts: Iterable[Fact]) -> set[Decimal]:
    return {value for fact in facts for value in fact.values}
