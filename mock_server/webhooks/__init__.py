"""Webhooks: deliveries (values), which receivers may be reached (addresses), where deliveries wait
(queue), one attempt on the wire (sender) and the outbox that drains them in the background."""

from mock_server.webhooks.addresses import ReceiverPolicy, ReceiverRefused
from mock_server.webhooks.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Attempt,
    Delivery,
    WebhookPolicy,
    backoff,
    delivery_json,
    sign,
)
from mock_server.webhooks.outbox import Outbox

__all__ = [
    "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Attempt", "Delivery", "Outbox", "ReceiverPolicy",
    "ReceiverRefused", "WebhookPolicy", "backoff", "delivery_json", "sign",
]
