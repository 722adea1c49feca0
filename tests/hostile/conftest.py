"""The hostile corpus is data for the tests here, never collected by the project's own run."""

collect_ignore = ["corpus"]
