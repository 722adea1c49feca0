"""Reports people read, built from a recorded run: text views, the chat as HTML, the run
summary, run metadata and machine-readable transcripts. Nothing here imports pytest: the
reports bound to pytest's items (Allure results, JUnit system-out) live in
:mod:`runner.plugin`.
"""
