"""Collection: 2,000 scenario files under --collect-only, against Tavern collecting 2,000.

Both suites hold the same six-call conversation per file (see suites.py), and
each tool validates every file while collecting it. Target: at least 3x faster.
"""

from __future__ import annotations

from benchmarks.common import CACHE, best, fresh, pytest_command, run, spread
from benchmarks.mock_load import TOKEN
from benchmarks.suites import write_scenarios, write_tavern
from benchmarks.tavern_env import Tavern

HERE = CACHE / "collection"


def run_benchmark(tavern: Tavern | None, *, files: int = 2000, repeat: int = 3) -> list[str]:
    ours_dir = write_scenarios(fresh(HERE / "scenarios"), files)
    lines = [f"collection: {files} files, --collect-only (whole command, best of {repeat})"]
    ours = [run([*pytest_command(ours_dir), "--collect-only"], cwd=HERE) for _ in range(repeat)]
    if f"{files} tests collected" not in ours[0].output:
        raise SystemExit("this runner did not collect every scenario:\n" + ours[0].output[-800:])
    mine = best(ours)
    lines.append(f"  this runner    {mine.seconds:6.2f}s  "
                 f"{mine.seconds / files * 1000:5.2f} ms/file {spread(ours)}")
    if tavern is not None:
        tavern_dir = write_tavern(fresh(HERE / "tavern"), files, "http://127.0.0.1:9", TOKEN)
        theirs = [run([str(tavern.python), "-m", "pytest", "-p", "no:cacheprovider", "-q",
                       "--collect-only", "."], cwd=tavern_dir) for _ in range(repeat)]
        if f"{files} tests collected" not in theirs[0].output:
            raise SystemExit("Tavern did not collect every test:\n" + theirs[0].output[-800:])
        other = best(theirs)
        lines.append(f"  Tavern {tavern.version:7} {other.seconds:6.2f}s  "
                     f"{other.seconds / files * 1000:5.2f} ms/file {spread(theirs)}")
        lines.append(f"  Tavern / this runner: {other.seconds / mine.seconds:.1f}x "
                     "(target at least 3x)")
    return lines
