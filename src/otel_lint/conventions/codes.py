"""Which rule code reports which kind of naming issue.

The static rules and the plugin's run-time check both report naming problems under these codes,
so a user sees the same code for the same mistake in source and in emitted telemetry.
"""

from __future__ import annotations

from otel_lint.conventions.naming import IssueKind

#: Rule code for each kind of problem an attribute key can have.
ATTRIBUTE_KEY_CODES: dict[IssueKind, str] = {
    IssueKind.DEPRECATED: "OTL301",
    IssueKind.MALFORMED: "OTL302",
    IssueKind.NEAR_MISS: "OTL303",
    IssueKind.CUSTOM_IN_SEMCONV_NAMESPACE: "OTL304",
    IssueKind.RESERVED: "OTL304",
}

#: Rule code for each kind of problem a metric's name, instrument or unit can have.
METRIC_CODES: dict[IssueKind, str] = {
    IssueKind.MALFORMED: "OTL305",
    IssueKind.METRIC_TOTAL_SUFFIX: "OTL305",
    IssueKind.METRIC_UNIT_IN_NAME: "OTL305",
    IssueKind.METRIC_EQUALS_ATTRIBUTE: "OTL305",
    IssueKind.UNIT_MISSING: "OTL306",
    IssueKind.UNIT_NOT_UCUM: "OTL306",
    IssueKind.UNIT_DURATION_NOT_SECONDS: "OTL306",
    IssueKind.UNIT_PLURAL_ANNOTATION: "OTL306",
    IssueKind.METRIC_WRONG_INSTRUMENT: "OTL307",
    IssueKind.METRIC_WRONG_UNIT: "OTL307",
    IssueKind.METRIC_DEPRECATED: "OTL308",
}

#: An unbounded value among a metric's attributes (the metric-cardinality rule).
UNBOUNDED_METRIC_ATTRIBUTE = "OTL202"

#: Rule code for each kind of problem a key of ``OTEL_RESOURCE_ATTRIBUTES`` can have in a
#: deployment file (compose, Kubernetes, Dockerfile, ``.env``, Procfile). Codes of their own:
#: OTL301-OTL304 judge Python source, and released codes never change what they mean.
RESOURCE_SETTING_CODES: dict[IssueKind, str] = {
    IssueKind.DEPRECATED: "OTL310",
    IssueKind.MALFORMED: "OTL311",
    IssueKind.NEAR_MISS: "OTL312",
    IssueKind.CUSTOM_IN_SEMCONV_NAMESPACE: "OTL313",
    IssueKind.RESERVED: "OTL313",
}
