"""An order service: a Flask handler that calls the payment API."""

import logging
import time

import requests
from flask import Flask, request
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor

from telemetry import checkout_latency, orders_counter, tracer

app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)
RequestsInstrumentor().instrument()
logger = logging.getLogger(__name__)


def charge(order_id, amount):
    with tracer.start_as_current_span("POST /payments"):
        return requests.post("https://payments.internal/charge", json={"amount": amount}, timeout=5)


@app.route("/orders/<order_id>", methods=["POST"])
def create_order(order_id):
    started = time.monotonic()
    with tracer.start_as_current_span(f"create_order {order_id}") as span:
        span.set_attribute("http.method", request.method)
        span.set_attribute("userId", request.headers.get("X-User"))
        span.set_attribute("order.payload", request.get_data(as_text=True))
        ctx = span.get_span_context()
        logger.info("order received", extra={"trace_id": hex(ctx.trace_id)})
        try:
            charge(order_id, request.json["amount"])
        except requests.RequestException:
            logger.warning("payment failed")
            return {"status": "failed"}, 502
        orders_counter.add(1, {"user_id": request.headers.get("X-User"), "order.id": order_id})
        checkout_latency.record((time.monotonic() - started) * 1000)
        return {"status": "created"}, 201
