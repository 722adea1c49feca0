"""The `osvi-scenarios` command line: check, record, diff."""
