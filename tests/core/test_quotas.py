"""The quota check: the last unit that fits passes, the next is refused naming the quota, and a
request that adds none of something is never refused for it."""

from __future__ import annotations

import pytest

from mock_server.core.errors import QuotaExceeded
from mock_server.core.quotas import Quotas, Usage, require_room

QUOTAS = Quotas(batch_calls=3, contacts=10, contact_folders=2, stored_bytes=1_000)


@pytest.mark.parametrize("field, limit", [("batch_calls", 3), ("contacts", 10), ("contact_folders", 2),
                                          ("stored_bytes", 1_000)])
def test_each_quota_admits_up_to_its_limit_and_refuses_past_it(field: str, limit: int) -> None:
    require_room(QUOTAS, Usage(**{field: limit - 2}), Usage(**{field: 2}))  # exactly at the limit
    with pytest.raises(QuotaExceeded) as refused:
        require_room(QUOTAS, Usage(**{field: limit - 1}), Usage(**{field: 2}))
    assert refused.value.http_status == 409
    assert refused.value.code == "quota_exceeded"
    assert refused.value.details == {"quota": field, "limit": limit, "in_use": limit - 1, "requested": 2}


def test_what_a_request_does_not_add_is_not_checked() -> None:
    """A workspace can hold more bytes than its quota (a batch's analytics grow a day at a time as its
    calls are placed): what adds to it is refused, what adds nothing is not."""
    over = Usage(batch_calls=3, contacts=10, contact_folders=2, stored_bytes=5_000)
    with pytest.raises(QuotaExceeded) as refused:
        require_room(QUOTAS, over, Usage(contact_folders=1, stored_bytes=10))
    assert refused.value.details is not None and refused.value.details["quota"] == "contact_folders"
    require_room(QUOTAS, over, Usage())


def test_a_quota_of_zero_refuses_every_one() -> None:
    with pytest.raises(QuotaExceeded):
        require_room(Quotas(batch_calls=0), Usage(), Usage(batch_calls=1))
