"""OpenTelemetry setup, as a quick-start tutorial writes it."""

import logging

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

resource = Resource.create({"service.version": "1.4.2"})
provider = TracerProvider(resource=resource)
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

tracer = trace.get_tracer("orders")
meter = metrics.get_meter("orders")

orders_counter = meter.create_counter("orders_total", unit="orders")
checkout_latency = meter.create_histogram("checkout.latency_ms", unit="milliseconds")
