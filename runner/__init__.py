"""Declarative conversation-scenario tests for the OSVI Chat v1 API.

The library layers (loading, validation, execution, the mock) import without
pytest; :mod:`runner.plugin.hooks` is the thin pytest layer on top.
"""

__version__ = "0.1.0"

# The dummy token the runner and the embedded mock share, so the API-Token
# header path is exercised even offline. It is not a secret.
EMBEDDED_MOCK_TOKEN = "mock-token-0000!"
