"""Reports people read: Allure results, JUnit, chat transcripts and the run summary.

:mod:`runner.plugin.pytest_report` is the pytest side; the other modules build
one report each from a recorded :class:`~runner.execution.transcript.ScenarioResult`.
"""
