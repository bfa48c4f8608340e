"""A partial run: the careful client's code, but a test run that stops after creating a campaign.

Nothing it does is wrong, and it set a webhook receiver, yet no event was ever sent to it (nothing
was scheduled), so the webhook checks could not be observed: the verdict is `incomplete`. This is
what a partner sees when their test suite does not exercise every part of the integration.

Run it against a sandbox: `python examples/readiness/partial_client.py --base-url http://127.0.0.1:8080`.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx
from careful_client import CAMPAIGN, CarefulApi, VerifyingReceiver
from sandbox_session import (
    api_client,
    arm,
    control,
    finish,
    main,
    receiver,
    report,
    set_receiver,
    webhook_secret,
)


def run(base_url: str, api_key: str, admin_token: str | None = None) -> dict[str, Any]:
    with control(base_url, api_key, admin_token) as sandbox, api_client(base_url, api_key) as http:
        return _session(sandbox, CarefulApi(http))


def _session(sandbox: httpx.Client, api: CarefulApi) -> dict[str, Any]:
    with receiver(VerifyingReceiver(webhook_secret(sandbox))) as url:
        set_receiver(sandbox, url)
        arm(sandbox)
        created = api.request("POST", "/batch-calls", body=CAMPAIGN)  # 503 first: retried, same key
        created.raise_for_status()
        print(f"created {created.json()['data']['id']}; stopping here")
        return finish(sandbox, report(sandbox))


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", run))
