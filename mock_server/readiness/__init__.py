"""Client readiness (issue 14): grade a partner's client from what the sandbox saw it do.

Pure: no Starlette, no I/O, no clock. `exchanges` reads journal entries and webhook deliveries,
`checks` grades them (one function per check id), `grading` gives the verdict, `challenges` is the
state machine of the deliberate 503, 429 and webhook tests, `render` writes Markdown and HTML.
"""

from mock_server.readiness.challenges import Challenges, Injected, signing_for
from mock_server.readiness.checks import CHECKS, Session
from mock_server.readiness.exchanges import (
    DeliveryAttempt,
    Exchange,
    WebhookDelivery,
    delivery_from_json,
    exchange_from_entry,
)
from mock_server.readiness.grading import Report, grade, grading_steps
from mock_server.readiness.render import html, markdown

__all__ = [
    "CHECKS",
    "Challenges",
    "DeliveryAttempt",
    "Exchange",
    "Injected",
    "Report",
    "Session",
    "WebhookDelivery",
    "delivery_from_json",
    "exchange_from_entry",
    "grade",
    "grading_steps",
    "html",
    "markdown",
    "signing_for",
]
