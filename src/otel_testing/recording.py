"""Whether the current test records spans and log records at all.

A test that asks for none of the plugin's fixtures (and is not strict) cannot look at what it
emitted, so recording it would only cost time: with the SDK recording, ten spans and a log record
cost about half a millisecond, which is more than the 3% a suite should pay for a plugin it does
not use. Such a test gets spans that are not recorded, as with any sampler that drops them: their
span contexts are valid but unsampled, and no processor sees them. Metrics are recorded either
way (aggregation is cheap), and each test that reads them starts from zero.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes


class RecordingSwitch:
    """On while the current test may read what it emits; shared by the sampler and processors."""

    def __init__(self) -> None:
        self.on = True


class SwitchedSampler(Sampler):
    """Samples as the SDK's configured sampler does while the switch is on; drops otherwise."""

    def __init__(self, delegate: Sampler, switch: RecordingSwitch) -> None:
        self._delegate = delegate
        self._switch = switch

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if self._switch.on:
            return self._delegate.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, None, parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"OtelTestingSwitch{{{self._delegate.get_description()}}}"
