"""Shared primitives every layer may use: problems and errors, redaction, sizes, terminal-safe
text, where the schemas live. Imports nothing else of runner.
"""
