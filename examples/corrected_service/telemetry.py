"""OpenTelemetry setup: a named service, batched export, logs correlated with traces."""

import logging

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME, SERVICE_VERSION

LoggingInstrumentor().instrument(set_logging_format=True)
logging.basicConfig(level=logging.INFO)

resource = Resource.create({SERVICE_NAME: "orders", SERVICE_VERSION: "1.4.2"})
provider = TracerProvider(resource=resource)
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

tracer = trace.get_tracer("orders")
meter = metrics.get_meter("orders")

orders_counter = meter.create_counter("acme.orders.created", unit="{order}")
checkout_duration = meter.create_histogram("acme.checkout.duration", unit="s")
