"""Run metadata for the Allure results folder: environment, CI executor, categories.

Written once per run next to the test results. The categories live in
``categories.json`` beside this module in Allure 3's form, shared with
``allurerc.mjs``; the results folder gets Allure 2's form of the same rules,
for anyone rendering with Allure 2.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from runner import __version__
from runner.core.redact import Redactor

CATEGORIES_FILE = Path(__file__).with_name("categories.json")


def public_url(url: str) -> str:
    from runner.execution.targets import public_url as strip  # late: targets pulls in the mock

    return strip(url)


def _version(package: str) -> str:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return "not installed"


def environment(*, base_url: str | None, agent: str | None) -> dict[str, str]:
    """What the run talked to and with which tools; never a credential."""
    return {
        "Target": "live API" if base_url else "embedded mock",
        "Base URL": public_url(base_url) if base_url else "(in process, no network)",
        "Agent": agent or "(set per scenario)",
        "Runner": f"osvi-scenarios {__version__}",
        "Python": platform.python_version(),
        "pytest": _version("pytest"),
        "allure-pytest": _version("allure-pytest"),
        "Platform": f"{platform.system()} {platform.machine()}",
    }


def _escape(text: str, *, key: bool) -> str:
    """Java properties escaping, ASCII only, as both Allure 2 (Java) and 3 parse it."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "=:#!" and (key or index == 0):
            out.append("\\" + char)
        elif char == " " and (key or index == 0):
            out.append("\\ ")
        elif ord(char) > 126 or ord(char) < 32:
            encoded = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(encoded[i:i + 2], 'big'):04x}"
                       for i in range(0, len(encoded), 2))
        else:
            out.append(char)
    return "".join(out)


def format_properties(values: Mapping[str, str]) -> str:
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in values.items())


def _github(env: Mapping[str, str]) -> dict[str, Any]:
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    number = env.get("GITHUB_RUN_NUMBER", "")
    workflow = env.get("GITHUB_WORKFLOW", "workflow")
    build_url = f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else ""
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if build_url and attempt and attempt != "1":
        build_url += f"/attempts/{attempt}"
    return {
        "name": "GitHub Actions",
        "type": "github",
        "url": f"{server}/{repo}" if repo else server,
        "buildOrder": number,
        "buildName": f"{workflow} #{number}" if number else workflow,
        "buildUrl": build_url,
    }


def _gitlab(env: Mapping[str, str]) -> dict[str, Any]:
    pipeline = env.get("CI_PIPELINE_IID") or env.get("CI_PIPELINE_ID", "")
    job = env.get("CI_JOB_NAME", "")
    project = env.get("CI_PROJECT_PATH", "")
    name = f"{project} pipeline #{pipeline}" if pipeline else project or "pipeline"
    return {
        "name": "GitLab CI",
        "type": "gitlab",
        "url": env.get("CI_PROJECT_URL") or env.get("CI_SERVER_URL", ""),
        "buildOrder": pipeline,
        "buildName": f"{name} · {job}" if job else name,
        "buildUrl": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL", ""),
    }


def executor(env: Mapping[str, str], redactor: Redactor) -> dict[str, Any] | None:
    """Allure's ``executor.json`` for a recognised CI system, else None."""
    if env.get("GITHUB_ACTIONS") == "true":
        info = _github(env)
    elif env.get("GITLAB_CI") == "true":
        info = _gitlab(env)
    else:
        return None
    info["reportName"] = "OSVI chat scenarios"
    order = str(info.get("buildOrder") or "")
    info["buildOrder"] = int(order) if order.isdigit() else None
    cleaned: dict[str, Any] = {}
    for key, value in info.items():
        if value in (None, ""):
            continue
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            value = public_url(value)
        cleaned[key] = redactor.redact(value) if isinstance(value, str) else value
    return cleaned


def categories() -> list[dict[str, Any]]:
    """The category rules in Allure 3's form (first match wins; regexes are searched)."""
    rules: list[dict[str, Any]] = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return rules


def _whole(pattern: str) -> str:
    # Allure 2 matches the whole text (Java's matches()); Allure 3 searches it.
    return f"[\\s\\S]*({pattern})[\\s\\S]*"


def allure2_categories(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rules in Allure 2's ``categories.json`` form, one entry per matcher."""
    out = []
    for rule in rules:
        for matcher in rule["matchers"]:
            entry: dict[str, Any] = {"name": rule["name"]}
            if "statuses" in matcher:
                entry["matchedStatuses"] = list(matcher["statuses"])
            if "message" in matcher:
                entry["messageRegex"] = _whole(matcher["message"])
            if "trace" in matcher:
                entry["traceRegex"] = _whole(matcher["trace"])
            out.append(entry)
    return out


def write_metadata(results: Path, *, base_url: str | None, agent: str | None,
                   env: Mapping[str, str], redactor: Redactor) -> list[Path]:
    """Write environment.properties, categories.json and (on CI) executor.json."""
    results.mkdir(parents=True, exist_ok=True)
    values = {k: redactor.redact(v) for k, v in environment(base_url=base_url,
                                                            agent=agent).items()}
    written = [results / "environment.properties", results / "categories.json"]
    written[0].write_text(format_properties(values), encoding="ascii")
    written[1].write_text(json.dumps(allure2_categories(categories()), indent=2) + "\n",
                          encoding="utf-8")
    info = executor(env, redactor)
    if info is not None:
        path = results / "executor.json"
        path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
