"""Hostile files that cannot (or should not) live in git as they are.

Huge, binary and invalid-UTF-8 files, a named pipe and symbolic link loops
are made on the spot, in the folder a test runs in.
"""

from __future__ import annotations

import os
from pathlib import Path

FIVE_MB = 5 * 1024 * 1024


def write_generated(folder: Path) -> None:
    def text(name: str, content: str) -> None:
        (folder / name).write_text(content, encoding="utf-8")

    (folder / "23-binary.scenario.yaml").write_bytes(bytes(range(256)) * 4)
    (folder / "24-invalid-utf8.scenario.yaml").write_bytes(
        "scenario: Café\nsteps:\n  - customer: Hi\n  - customer: ".encode()
        + "Café\n".encode("latin-1"))
    (folder / "51-utf16.scenario.yaml").write_bytes(
        "scenario: Refund\nsteps:\n  - customer: Hi\n".encode("utf-16"))
    text("52-five-mb-line.scenario.yaml",
         'scenario: Refund\nsteps:\n  - customer: "' + "a" * FIVE_MB + '"\n')
    text("53-deep-flow.scenario.yaml",
         "scenario: Deep\nsteps: " + "[" * 50_000 + "]" * 50_000 + "\n")
    text("54-deep-block.scenario.yaml",
         "scenario: Deep\nvars:\n"
         + "".join("  " * (level + 1) + f"k{level}:\n" for level in range(300))
         + "  " * 301 + "x\nsteps:\n  - customer: Hi\n")
    os.symlink("loop.yaml", folder / "loop.yaml")
    text("55-mock-symlink-loop.scenario.yaml",
         "scenario: Refund\nmock: loop.yaml\nsteps:\n  - customer: Hi\n")
    os.symlink("56-mock-via-link.scenario.yaml", folder / "back-to-scenario.yaml")
    text("56-mock-via-link.scenario.yaml",
         "scenario: Refund\nmock: back-to-scenario.yaml\nsteps:\n  - customer: Hi\n")
    os.mkfifo(folder / "pipe-agent.yaml")
    text("58-mock-is-a-pipe.scenario.yaml",
         "scenario: Refund\nmock: pipe-agent.yaml\nsteps:\n  - customer: Hi\n")
    text("59-dense-two-mb.scenario.yaml",
         "scenario: Big\nsteps:\n" + "  - customer: hi\n" * (2 * 1024 * 1024 // 16))
    text("60-long-key.scenario.yaml", "scenario: Refund\n" + "k" * 100_000 + ": 1\nsteps:\n"
         "  - customer: Hi\n")
    text("61-huge-mock-file.scenario.yaml",
         "scenario: Refund\nmock: huge-agent.yaml\nsteps:\n  - customer: Hi\n")
    text("huge-agent.yaml", 'default_reply: "' + "b" * FIVE_MB + '"\n')
    # A folder named like a scenario file is a folder: pytest looks inside it. A
    # pipe is reported without being opened (collecting it explicitly is tested
    # on its own).
    (folder / "62-a-folder.scenario.yaml").mkdir()
    os.mkfifo(folder / "63-a-pipe.scenario.yaml")
