"""The pytest layer: hooks, items, options, stash keys, scheduling, the failure repr and report
wiring. Everything of substance is delegated to the layers below.
"""
