"""Checks of the 4xx family: manual spans that duplicate instrumentation, leak, or hide failures.

One module per rule, named after it; the span syntax they share is in ``checks/syntax/spans.py``
and ``checks/syntax/imports.py``, the client libraries in ``clients.py``.

Every judgement here is syntactic and local to one file; whether the project activates an
instrumentation is left to project facts (``Verdict.requires``), which the engine resolves once
it has seen the whole project.
"""
