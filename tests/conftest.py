"""Shared test set-up.

pytester's in-process runs restore ``sys.modules`` after each run, so anything
first imported inside a run is imported again by the next. The hypothesis
plugin imports hypothesis lazily at the end of every run; importing it here,
once, keeps each in-process run fast.
"""

import hypothesis  # noqa: F401
