"""Checks of the 3xx family: attribute keys, metric names and units against the conventions."""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check
from otel_lint.codes import ATTRIBUTE_KEY_CODES
from otel_lint.literals import string_value, with_string_value
from otel_lint.naming import check_attribute_key


def _attribute_key_verdicts(node: SgNode, context: FileContext, code: str) -> Iterator[Verdict]:
    key = string_value(node)
    if key is None:
        return
    issues = check_attribute_key(key, context.registry, context.settings.namespaces)
    for issue in issues:
        if ATTRIBUTE_KEY_CODES.get(issue.kind) != code:
            continue
        fix = None
        if code == "OTL301" and issue.suggestion is not None:
            fix = with_string_value(node, issue.suggestion)
        yield Verdict(message=issue.message, fix=fix)
        return


@check("deprecated_attribute_key")
def deprecated_attribute_key(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _attribute_key_verdicts(node, context, "OTL301")
