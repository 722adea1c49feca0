"""Running a scenario: the HTTP client and its limits, targets, the contract, the executor,
expectations, invariants, repetition, hygiene, settings, and the recorded transcript.
"""
