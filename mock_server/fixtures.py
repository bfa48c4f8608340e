"""The resources every workspace starts with. Their ids are a public interface: keep them."""

from __future__ import annotations

from typing import Any

from mock_server.core.models import Agent, Contact, Folder, PhoneNumber
from mock_server.store.base import Store, Workspace

SANDBOX_KEY = "sk_test_sandbox"
# the sandbox workspace's Zudu pair (X-API-KEY, X-API-SECRET): zk_/zs_, never mistaken for a Truedy key
ZUDU_SANDBOX_KEY = "zk_test_sandbox"
ZUDU_SANDBOX_SECRET = "zs_test_sandbox"
READY_AGENT = "agt_sandbox_ready"
NO_NUMBERS_AGENT = "agt_sandbox_no_numbers"
NOT_READY_AGENT = "agt_sandbox_not_ready"
INACTIVE_AGENT = "agt_sandbox_inactive"
DEMO_FOLDER = "folder_sandbox_demo"
EMPTY_FOLDER = "folder_sandbox_empty"

# Magic numbers give a fixed outcome; the plain ones follow the seeded distribution.
DEMO_CONTACTS = (
    ("+14155550101", "Ada", "Lovelace"),
    ("+14155550102", "Grace", "Hopper"),
    ("+14155550103", "Alan", "Turing"),
    ("+14155550104", "Edsger", "Dijkstra"),
    ("+14155550105", "Barbara", "Liskov"),
    ("+15550100001", "Vera", "Voicemail"),
    ("+15550100002", "Nora", "Noanswer"),
    ("+15550100003", "Bobby", "Busy"),
    ("+15550100004", "Ivan", "Invalid"),
    ("+15550100005", "Rita", "Retry"),
)


def fixture_ids() -> dict[str, Any]:
    """What the CLI prints on start and the control API returns for a new workspace."""
    return {
        "agents": {
            "ready": READY_AGENT,
            "no_numbers": NO_NUMBERS_AGENT,
            "not_ready": NOT_READY_AGENT,
            "inactive": INACTIVE_AGENT,
        },
        "folders": {"demo": DEMO_FOLDER, "empty": EMPTY_FOLDER},
        "phone_numbers": ["num_sandbox_1", "num_sandbox_2", "num_sandbox_3"],
    }


def seed_workspace(store: Store, workspace: Workspace, now: float) -> None:
    ws = workspace.id
    agents = (
        Agent(READY_AGENT, "Sandbox agent (ready)", "active", True, ["num_sandbox_1", "num_sandbox_2"], now),
        Agent(NO_NUMBERS_AGENT, "Sandbox agent (no numbers)", "active", True, [], now),
        Agent(NOT_READY_AGENT, "Sandbox agent (voice not synced)", "active", False, ["num_sandbox_3"], now),
        Agent(INACTIVE_AGENT, "Sandbox agent (inactive)", "draft", True, [], now),
    )
    for agent in agents:
        store.agents(ws).put(agent.id, agent)
    numbers = (
        PhoneNumber("num_sandbox_1", "+18005550101", "Sandbox line 1", READY_AGENT, now),
        PhoneNumber("num_sandbox_2", "+18005550102", "Sandbox line 2", READY_AGENT, now),
        PhoneNumber("num_sandbox_3", "+18005550103", "Sandbox line 3", NOT_READY_AGENT, now),
    )
    for number in numbers:
        store.numbers(ws).put(number.id, number)
    store.folders(ws).put(
        DEMO_FOLDER,
        Folder(DEMO_FOLDER, "Sandbox demo contacts", "Ten contacts, magic test numbers among them", now),
    )
    store.folders(ws).put(EMPTY_FOLDER, Folder(EMPTY_FOLDER, "Sandbox empty folder", None, now))
    for index, (phone, first, last) in enumerate(DEMO_CONTACTS, start=1):
        contact_id = f"ctc_sandbox_{index:02d}"
        store.contacts(ws).put(contact_id, Contact(contact_id, phone, first, last, None, DEMO_FOLDER, now))
