"""What the ``OTEL_*`` environment does to the capture, said before a test reads an empty result.

The SDK reads these variables when a provider is built, for the suite's providers and the
plugin's alike; the plugin never overrides them. When one of them means a test's telemetry is
dropped, the test is failed with a message that names the variable rather than left to compare
with nothing.
"""

from __future__ import annotations

import os

from opentelemetry.sdk.environment_variables import (
    OTEL_SDK_DISABLED,
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
)

#: Sampler descriptions under which every span of a test is recorded (a test's root spans have
#: no parent, so a parent-based sampler decides by its root sampler).
_KEEPS_EVERY_SPAN = ("AlwaysOnSampler", "ParentBased{root:AlwaysOnSampler", "TraceIdRatioBased{1")


def disabled_reason(provider: object) -> str | None:
    """Why ``provider`` records nothing, if the SDK was switched off when it was built."""
    if not getattr(provider, "_disabled", False):
        return None
    value = os.environ.get(OTEL_SDK_DISABLED, "true")
    return (
        f"the {type(provider).__name__} records nothing: it was built with "
        f"{OTEL_SDK_DISABLED}={value} in the environment. Unset {OTEL_SDK_DISABLED} in the "
        "environment of the test run that reads telemetry."
    )


def sampler_reason(provider: object) -> str | None:
    """Why some spans of a test may be missing, if an environment-chosen sampler drops them."""
    sampler = getattr(provider, "sampler", None)
    chosen = os.environ.get(OTEL_TRACES_SAMPLER)
    if sampler is None or not chosen:
        return None
    description = str(sampler.get_description())
    if description.startswith(_KEEPS_EVERY_SPAN):
        return None
    argument = os.environ.get(OTEL_TRACES_SAMPLER_ARG)
    setting = f"{OTEL_TRACES_SAMPLER}={chosen}" + (
        f" and {OTEL_TRACES_SAMPLER_ARG}={argument}" if argument else ""
    )
    return (
        f"spans are sampled by {description}, chosen by {setting} in the environment, so this "
        "test's spans are dropped (all or some, at random). Unset the variable for the test run, "
        f"or set {OTEL_TRACES_SAMPLER}=always_on."
    )
