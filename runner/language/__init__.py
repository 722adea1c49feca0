"""The scenario language: YAML with lines, templating, durations, matchers, the model,
validation and static checks, the `mock:` agent language, the loader. No HTTP, no pytest.
"""
