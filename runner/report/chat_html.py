"""The conversation of one run as a self-contained HTML chat page.

Attached to every Allure result and readable on its own: customer and agent as
bubbles on opposite sides, operator messages in their own colour, what the
customer never saw (whispers, tell guidance, injected context) as dashed
private notes, commands and waits as centred system lines, and the failing
step highlighted with what was expected and what came back. Inline CSS only,
no scripts and no external assets, so it opens offline and inside a report.

:func:`render_chat_fragment` is the same chat as one ``<div>`` for a page
that is not ours: Allure 3 shows it as the test's description, in a frame it
sizes to its content (an HTML attachment gets a fixed 150 px frame when the
report is opened from disk). Its CSS therefore also overrides the styles
Allure gives headings, lists and tables there.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator

from runner import __version__
from runner.core.redact import Redactor
from runner.execution.transcript import Entry, ScenarioResult, StepRecord, titled
from runner.language.durations import format_duration
from runner.language.model import Step, step_title
from runner.report.render import step_source

# Written for the chat alone; `_scoped` confines every rule to the chat's <div>.
_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 color:#1f2328;background:#f3f4f6}
header{background:#fff;border-bottom:1px solid #d0d7de;padding:14px 20px;margin:0}
header h1{font-size:18px!important;line-height:1.3!important;margin:0 0 6px;display:flex;
 gap:10px;align-items:center;flex-wrap:wrap}
.badge{font-size:12px;font-weight:700;letter-spacing:.04em;padding:2px 8px;
 border-radius:10px;color:#fff;text-transform:uppercase}
.badge.passed{background:#1a7f37}.badge.failed{background:#cf222e}
.badge.broken{background:#bf8700}.badge.skipped{background:#6e7781}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0 0;
 font-size:13px}
dl.facts dt{color:#57606a;margin:0;font-style:normal;font-weight:400!important}
dl.facts dd{margin:0;padding:0;word-break:break-all}
.cause{margin:10px 0 0;padding:8px 10px;border-left:4px solid #bf8700;background:#fff8c5}
.cause.failed{border-color:#cf222e;background:#ffebe9}
.cause a{color:inherit}
.description{margin:6px 0 0;color:#57606a;white-space:pre-wrap}
main{max-width:900px;margin:0 auto;padding:12px 16px 40px}
.step{margin:14px 0;padding:6px 10px 10px;border-radius:8px}
.step.failed{background:#ffebe9;border:2px solid #cf222e}
.step.broken{background:#fff8c5;border:2px solid #bf8700}
.step.notrun{opacity:.55}
.step-head{font-size:12px;color:#57606a;display:flex;gap:8px;flex-wrap:wrap;
 align-items:baseline;margin-bottom:4px}
.step-head .ref{font-weight:700;color:#1f2328}
.step-head .name{font-weight:600;color:#1f2328}
.step-head .verdict{font-weight:700}
.failed .verdict{color:#cf222e}.broken .verdict{color:#9a6700}
.row{display:flex;margin:6px 0}
.row.left{justify-content:flex-start}.row.right{justify-content:flex-end}
.row.center{justify-content:center}
.msg{max-width:72%}
.who{font-size:11px;color:#57606a;margin:0 6px 2px;text-transform:lowercase}
.right .who,.right .meta{text-align:right}
.bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word}
.customer .bubble{background:#fff;border:1px solid #d0d7de;border-bottom-left-radius:4px}
.agent .bubble{background:#0969da;color:#fff;border-bottom-right-radius:4px}
.agent .bubble.none{background:#eaeef2;color:#57606a;font-style:italic}
.operator .bubble{background:#8250df;color:#fff;border-bottom-right-radius:4px}
.private .bubble{background:#fffdf2;color:#3d2c00;border:2px dashed #d4a72c;
 border-radius:8px}
.private .who{color:#9a6700;font-weight:600}
.meta{font-size:11px;color:#6e7781;margin:2px 6px 0}
.system{font-size:12px;color:#57606a;background:#eaeef2;border-radius:10px;
 padding:3px 12px;text-align:center;max-width:90%}
.system.error{background:#ffebe9;color:#82071e;font-weight:600}
table.mismatches{width:100%;border-collapse:collapse;margin:8px 0 0;font-size:13px;
 background:#fff;display:table;max-width:none;overflow:visible;transform:none;contain:none}
.mismatches th,.mismatches td{border:1px solid #d0d7de!important;padding:4px 8px;
 text-align:left;vertical-align:top;white-space:pre-wrap;word-break:break-word}
.mismatches th{background:#f6f8fa;position:static}
.mismatches tr{background:transparent}
.mismatches td.key{font-family:ui-monospace,monospace;font-weight:600}
.mismatches td.actual{color:#82071e}
pre.source{background:#fff;border:1px solid #d0d7de;padding:6px 8px;font-size:12px;
 overflow-x:auto;margin:8px 0 0}
.step-cause{margin-top:8px;font-weight:600;color:#82071e}
footer{text-align:center;font-size:11px;color:#8c959f;padding:10px}
ul.scores{list-style:none!important;margin:6px 0 0;padding:0;font-size:12px}
ul.scores li{margin:2px 0;padding:3px 8px;border-radius:6px;background:#dafbe1;color:#116329}
ul.scores li.bad{background:#ffebe9;color:#82071e}
"""

_ROOT = ".osvi-chat"


def _scoped(css: str) -> str:
    """``css`` with every selector under ``.osvi-chat``, ``body`` being that ``<div>`` itself.

    Embedded in a page that is not ours, the chat's rules must neither restyle
    that page nor lose to its rules for bare elements (``dt``, ``table``...).
    """
    rules = []
    for rule in css.split("}"):
        selectors, brace, declarations = rule.partition("{")
        if not brace:
            continue
        scoped = []
        for selector in selectors.split(","):
            selector = " ".join(selector.split())
            scoped.append(_ROOT if selector == "body" else f"{_ROOT} {selector}")
        rules.append(",".join(scoped) + "{" + declarations.strip() + "}")
    return "\n".join(rules)


_SCOPED_CSS = _scoped(_CSS)
# Only the page of its own: the <div> is the page.
_PAGE_CSS = "body{margin:0;background:#f3f4f6}\n" + _SCOPED_CSS

_VERDICT = {"failed": "✗ failed", "broken": "⚠ broken"}
_PRIVATE_LABEL = {
    "tell": "tell · guidance to the agent",
    "whisper": "whisper · guidance to the agent",
    "context": "injected context",
}


class _Page:
    """Builds the page; every text goes through :meth:`text`, which redacts and escapes."""

    def __init__(self, result: ScenarioResult, redactor: Redactor, *,
                 links: bool = True, where: str | None = None) -> None:
        self.result = result
        self.redactor = redactor
        self.links = links  # in-page links; not where the page is embedded in another
        self.where = where  # the scenario's file and line, if not just the file's name

    def text(self, value: str | None) -> str:
        return html.escape(self.redactor.redact(value or ""), quote=True)

    def offset(self, at: float) -> str:
        minutes, seconds = divmod(max(0.0, at), 60)
        return f"+{int(minutes):02d}:{seconds:06.3f}"

    # -- header -----------------------------------------------------------------

    def header(self) -> Iterator[str]:
        result = self.result
        scenario = result.scenario
        yield "<header>"
        yield (f'<h1><span>{self.text(scenario.test_name)}</span>'
               f'<span class="badge {result.outcome}">{result.outcome}</span></h1>')
        if scenario.description:
            yield f'<p class="description">{self.text(scenario.description.strip())}</p>'
        facts: list[tuple[str, str]] = [
            ("file", self.where or f"{scenario.file.name}:{scenario.line}"),
            ("target", result.target),
            ("agent", result.agent or "(none)"),
            ("customer", result.customer or "(none)"),
            ("sessions", ", ".join(result.sessions) or "(none)"),
        ]
        if scenario.row_id is not None:
            row = ", ".join(f"{k}={v}" for k, v in scenario.row.items())
            facts.append(("example", f"{scenario.row_id}" + (f" ({row})" if row else "")))
        if result.started:
            started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(result.started))
            facts.append(("started", started))
            facts.append(("duration", format_duration(max(0.0, result.stopped - result.started))))
        if result.repetition is not None:
            facts.append(("runs", result.repetition.summary()))
        yield '<dl class="facts">'
        for name, value in facts:
            yield f"<dt>{name}</dt><dd>{self.text(value)}</dd>"
        yield "</dl>"
        yield from self.verdict()
        yield "</header>"

    def verdict(self) -> Iterator[str]:
        result = self.result
        record = result.failed_step
        if record is not None:
            anchor = _anchor(record.step)
            verb = "failed" if record.outcome == "failed" else "broke"
            icon = "✗" if record.outcome == "failed" else "⚠"
            why = ""
            if record.mismatches:
                why = " — unmet: " + ", ".join(m.key for m in record.mismatches)
            elif record.cause:
                why = f" — {record.cause}"
            where = f"{self.text(record.step.ref)} {verb}"
            if self.links:
                where = f'<a href="#{anchor}">{where}</a>'
            yield (f'<p class="cause {record.outcome}">{icon} {where}: '
                   f"{self.text(record.heading)}{self.text(why)}</p>")
        elif result.outcome == "broken":
            yield f'<p class="cause">The run broke: {self.text(result.cause)}</p>'

    # -- conversation -----------------------------------------------------------

    def body(self) -> Iterator[str]:
        result = self.result
        by_step: dict[int, list[Entry]] = {}
        for entry in result.entries:
            by_step.setdefault(id(entry.step), []).append(entry)
        yield "<main>"
        if not result.steps:
            yield '<div class="row center"><div class="system">(nothing was said)</div></div>'
        records = {id(record.step): record for record in result.steps}
        for step in result.scenario.all_steps():  # in file order, steps that never ran included
            record = records.pop(id(step), None)
            if record is None:
                yield (f'<section class="step notrun"><div class="step-head">'
                       f'<span class="ref">{self.text(step.ref)}</span>{self.name(step.name)}'
                       f"<span>{self.text(_action_title(step))}</span><span>· not run</span>"
                       "</div></section>")
            else:
                yield from self.step(record, by_step.get(id(step), []))
        for record in records.values():
            yield from self.step(record, by_step.get(id(record.step), []))
        yield "</main>"

    def step(self, record: StepRecord, entries: list[Entry]) -> Iterator[str]:
        outcome = record.outcome if record.outcome in ("failed", "broken") else "passed"
        offset = self.offset(record.started - self.result.started) if self.result.started else ""
        yield f'<section class="step {outcome}" id="{_anchor(record.step)}">'
        yield '<div class="step-head">'
        yield f'<span class="ref">{self.text(record.step.ref)}</span>{self.name(record.name)}'
        yield f"<span>{self.text(record.title)}</span>"
        yield f"<span>{offset} · {format_duration(record.duration)}</span>"
        origin = record.step.origin  # a step from `include:`: its fragment's line
        yield (f'<span>{self.text(origin)}</span>' if origin is not None
               else f'<span>line {record.step.line}</span>')
        if outcome in _VERDICT:
            yield f'<span class="verdict">{_VERDICT[outcome]}</span>'
        yield "</div>"
        for entry in entries:
            yield self.entry(entry)
        if record.scores:
            yield '<ul class="scores">'
            for score in record.scores:
                css = "" if score.passed else ' class="bad"'
                yield f"<li{css}>{self.text(score.describe())}</li>"
            yield "</ul>"
        if outcome != "passed":
            yield from self.problem(record)
        yield "</section>"

    def name(self, name: str | None) -> str:
        """A step's ``name:``, before its action."""
        return f'<span class="name">{self.text(name)}</span>' if name else ""

    def entry(self, entry: Entry) -> str:
        at = self.offset(entry.at)
        kind = entry.kind
        if kind in ("command", "wait", "error", "system"):
            label = {"command": "command", "wait": "wait", "error": "error",
                     "system": "runner"}[kind]
            words = " ".join(p for p in (entry.text or "", entry.detail) if p)
            css = "system error" if kind == "error" else "system"
            return (f'<div class="row center"><div class="{css}">{label}: {self.text(words)}'
                    f" · {at}</div></div>")
        side = "left" if kind == "customer" else "right"
        if kind in _PRIVATE_LABEL:
            who = f"{_PRIVATE_LABEL[kind]} — private, not shown to the customer"
            css = "private"
        else:
            who, css = kind, kind
        if kind == "agent" and entry.text is None:
            bubble = '<div class="bubble none">(no reply)</div>'
        else:
            bubble = f'<div class="bubble">{self.text(entry.text)}</div>'
        meta = at + (f" · {self.text(entry.detail)}" if entry.detail else "")
        return (f'<div class="row {side}"><div class="msg {css}"><div class="who">{who}</div>'
                f'{bubble}<div class="meta">{meta}</div></div></div>')

    def problem(self, record: StepRecord) -> Iterator[str]:
        if record.mismatches:
            yield ('<table class="mismatches"><tr><th>expectation</th><th>expected</th>'
                   "<th>actual</th></tr>")
            for mismatch in record.mismatches:
                yield (f'<tr><td class="key">{self.text(mismatch.key)}</td>'
                       f"<td>{self.text(mismatch.expected)}</td>"
                       f'<td class="actual">{self.text(mismatch.actual)}</td></tr>')
            yield "</table>"
        if record.cause:
            yield f'<div class="step-cause">Cause: {self.text(record.cause)}</div>'
        source = step_source(self.result, record)
        if source:
            yield f'<pre class="source">{self.text(source)}</pre>'


def _action_title(step: Step) -> str:
    return step_title(step.action, step.value)


def planned_title(step: Step) -> str:
    """A step's title as written in the file (its ``name:`` first), for steps that never ran."""
    return titled(step.name, _action_title(step))


def _anchor(step: Step) -> str:
    return f"{step.block}-{step.index}"


def render_chat_html(result: ScenarioResult, redactor: Redactor) -> str:
    """The whole page for ``result``; every text is redacted, then HTML-escaped."""
    page = _Page(result, redactor)
    title = page.text(f"Chat · {result.scenario.test_name} · {result.outcome}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{_PAGE_CSS}</style></head><body>",
        '<div class="osvi-chat">',
        *page.header(),
        *page.body(),
        f"<footer>osvi-scenarios {html.escape(__version__)} · times are offsets from the "
        "scenario start · step duration after the offset</footer>",
        "</div></body></html>",
    ]
    return "\n".join(parts)


def render_chat_fragment(result: ScenarioResult, redactor: Redactor,
                         where: str | None = None) -> str:
    """The chat as one ``<div>`` with its own styles, to embed in another page.

    ``where`` names the scenario's file (a path and line). The ``<style>`` sits
    inside the ``<div>``: sanitisers drop a leading one.
    """
    page = _Page(result, redactor, links=False, where=where)
    return "\n".join(['<div class="osvi-chat">', f"<style>{_SCOPED_CSS}</style>", *page.header(),
                      *page.body(), "</div>"])
