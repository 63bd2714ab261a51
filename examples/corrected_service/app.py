"""An order service: a Flask handler that calls the payment API."""

import logging
import time

import requests
from flask import Flask, request
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.trace import Status, StatusCode

from telemetry import checkout_duration, orders_counter, tracer

app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)
RequestsInstrumentor().instrument()
logger = logging.getLogger(__name__)


def charge(amount):
    # The requests instrumentation records the HTTP client span.
    return requests.post("https://payments.internal/charge", json={"amount": amount}, timeout=5)


@app.route("/orders/<order_id>", methods=["POST"])
def create_order(order_id):
    started = time.monotonic()
    # The Flask instrumentation records the server span; add this request's facts to it.
    span = trace.get_current_span()
    span.set_attribute("acme.order.id", order_id)
    span.set_attribute("acme.order.channel", "web")
    logger.info("order received")
    with tracer.start_as_current_span("charge_order") as charge_span:
        try:
            charge(request.json["amount"])
        except requests.RequestException as error:
            charge_span.record_exception(error)
            charge_span.set_status(Status(StatusCode.ERROR, "payment failed"))
            logger.warning("payment failed")
            return {"status": "failed"}, 502
    orders_counter.add(1, {"acme.order.channel": "web"})
    checkout_duration.record(time.monotonic() - started)
    return {"status": "created"}, 201
