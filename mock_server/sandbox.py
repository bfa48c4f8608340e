"""The sandbox: the registry of workspace worlds, their credentials and what they share.

Each workspace is a world of its own (`world.WorkspaceWorld`). The sandbox creates them, finds the
world a request's credentials name (in the credential schemes of the APIs it knows: one index of
worlds per scheme), hands out request ids, and owns the two things worlds share: the webhook outbox
(with per-workspace limits) and the wake-up schedule of real-clock worlds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from mock_server.core.ids import IdFactory
from mock_server.core.quotas import Quotas
from mock_server.engine.credentials import Credential, CredentialScheme, proves
from mock_server.settings import Settings
from mock_server.store.base import Workspace
from mock_server.wakeups import WakeSchedule
from mock_server.webhooks import Outbox, ReceiverPolicy, WebhookPolicy
from mock_server.world import ClockMode, SharedSettings, WorkspaceWorld, WorldConfig, derive_seed


def default_world_config(settings: Settings) -> WorldConfig:
    return WorldConfig(
        seed=settings.seed,
        clock=settings.clock,
        speed=settings.speed,
        start_at=settings.start_at,
        webhook_url=settings.webhook_url,
    )


def shared_settings(settings: Settings) -> SharedSettings:
    return SharedSettings(
        cost_per_minute_usd=settings.cost_per_minute_usd,
        retry_delay_seconds=settings.retry_delay_seconds,
        rate_limit=settings.rate_limit,
        live_edits=settings.live_edits,
        journal_size=settings.journal_size,
        max_idempotency_keys=settings.max_idempotency_keys,
        max_idempotency_bytes=settings.max_idempotency_bytes,
        max_events=settings.max_events,
        journal_max_bytes=settings.journal_max_bytes,
        quotas=Quotas(
            batch_calls=settings.max_batches,
            contacts=settings.max_contacts,
            contact_folders=settings.max_folders,
            stored_bytes=settings.max_stored_bytes,
        ),
    )


class Sandbox:
    def __init__(
        self, settings: Settings, schemes: Sequence[CredentialScheme], salt: str | None = None
    ) -> None:
        self.settings = settings
        self.schemes = tuple(schemes)  # the credentials of every API it knows, served or not
        if len({scheme.name for scheme in self.schemes}) != len(self.schemes):
            raise ValueError("two credential schemes share a name")
        # keys and secrets of new workspaces are drawn with a secret of this process (or of its
        # state file): one partner cannot compute another's key from the seed and the order
        self.salt = salt or secrets.token_hex(16)
        self.max_body_bytes = settings.max_body_bytes
        self.latency_seconds = settings.latency_ms / 1000
        self.shared = shared_settings(settings)
        self.outbox = self.new_outbox(WebhookPolicy(retry_base_seconds=settings.webhook_retry_base_seconds,
                                                    allow_private=settings.allow_private_webhooks))
        self.receivers = ReceiverPolicy(settings.allow_private_webhooks)  # which webhook URLs are taken
        self.wakeups = WakeSchedule()
        # request ids have their own stream: reading the API never shifts the ids of what it creates
        self.request_ids = IdFactory(derive_seed(settings.seed, "requests"))
        # worlds dropped from memory: deleted, or replaced by a reset of everything (GET /_mock/metrics;
        # not a copy rebuilt, nor the world a state file's snapshot replaces at start-up)
        self.evicted = 0
        self._start()

    def new_outbox(self, policy: WebhookPolicy) -> Outbox:
        return Outbox(policy, self.has_world)

    def has_world(self, workspace_id: str) -> bool:
        return workspace_id in self.worlds

    def _start(self) -> None:
        settings = self.settings
        # the ids of workspaces: one seeded stream, used only when a workspace is created
        self.credentials = IdFactory(derive_seed(settings.seed, "credentials"))
        self.keys = IdFactory(derive_seed(settings.seed, "keys", self.salt))
        self.forget_worlds()
        self.outbox.clear()
        self.wakeups.clear()
        api_key, key_pair = settings.default_credentials()
        self.default_world = self.add_world(
            default_world_config(settings), api_key=api_key, key_pair=key_pair
        )

    def reset_all(self) -> None:
        """Back to a fresh start with the same settings: every world but the default is gone, and
        so are their keys (a new salt: a key of before never opens a workspace of after)."""
        self.evicted += len(self.worlds)
        self.salt = self.new_salt()
        self._start()

    def new_salt(self) -> str:
        return secrets.token_hex(16)

    # worlds ----------------------------------------------------------------------------------
    def new_world_config(
        self,
        *,
        clock: ClockMode | None = None,
        speed: float | None = None,
        start_at: float | None = None,
        seed: int | None = None,
        webhook_url: str | None = None,
    ) -> WorldConfig:
        """A new workspace's config: what the request gives, else the sandbox's flags; its seed is
        derived from the sandbox seed and the order of creation, so it is reproducible."""
        base = default_world_config(self.settings)
        return replace(
            base,
            seed=seed if seed is not None else derive_seed(self.settings.seed, "workspace", len(self.worlds)),
            clock=clock or base.clock,
            speed=speed if speed is not None else base.speed,
            start_at=start_at if start_at is not None else base.start_at,
            webhook_url=webhook_url,  # never the default workspace's receiver: it is someone else's
        )

    def add_world(
        self,
        config: WorldConfig,
        *,
        api_key: str | None = None,
        key_pair: tuple[str, str] | None = None,
    ) -> WorkspaceWorld:
        keys = self.keys
        workspace = Workspace(
            id=self.credentials.new("ws"),
            api_key=api_key or f"sk_test_{keys.new('key').split('_', 1)[1]}",
            key_pair=key_pair or (keys.new("zk_test"), keys.new("zs_test")),
            webhook_url=config.webhook_url,
            webhook_secret=f"whsec_{keys.new('sec').split('_', 1)[1]}",
        )
        world = self.new_world(workspace, config)
        self.register(world)
        return world

    def forget_worlds(self) -> None:
        self.worlds: dict[str, WorkspaceWorld] = {}
        # scheme name -> a workspace's key in that scheme -> its world
        self._by_key: dict[str, dict[str, WorkspaceWorld]] = {scheme.name: {} for scheme in self.schemes}
        # what `world_of` goes through, looked up once: (reader, index, the scheme if it has secrets)
        self._lookups = [(scheme.read, self._by_key[scheme.name], scheme if scheme.has_secret else None)
                         for scheme in self.schemes]

    def register(self, world: WorkspaceWorld) -> None:
        """Make a world findable by its id and keys, and let the pump know when it is due."""
        workspace = world.workspace
        self.worlds[workspace.id] = world
        for scheme in self.schemes:
            key = scheme.key_of(workspace)
            if key is not None:
                self._by_key[scheme.name][key] = world
        self.wakeups.note(world)

    def created_workspaces(self) -> int:
        """Workspaces created with POST /_mock/workspaces and not deleted (the default one aside)."""
        return len(self.worlds) - 1

    def remove_world(self, world: WorkspaceWorld) -> None:
        """A workspace and everything it holds are gone: its keys name no world from now on, its
        pending deliveries and wake-ups are dropped, and nothing else refers to its world."""
        workspace = world.workspace
        del self.worlds[workspace.id]
        self.evicted += 1
        for scheme in self.schemes:
            key = scheme.key_of(workspace)
            if key is not None:
                self._by_key[scheme.name].pop(key, None)
        self.outbox.forget(workspace.id)
        self.wakeups.forget(workspace.id)
        world.readiness = None

    def new_world(self, workspace: Workspace, config: WorldConfig) -> WorkspaceWorld:
        return WorkspaceWorld(
            workspace, config, self.shared, self.outbox, self.creation_instant, self.wakeups.note
        )

    def creation_instant(self) -> float:
        """The wall-clock instant a world is created or reset at (its clock starts there when it has
        no start_at)."""
        return time.time()

    def world_for(self, scheme: CredentialScheme, credential: Credential) -> WorkspaceWorld | None:
        """The world of a credential in `scheme`, or None when it names none (or its secret is wrong)."""
        world = self._by_key[scheme.name].get(credential[0])
        if world is None or (scheme.has_secret and not proves(scheme, world.workspace, credential[1])):
            return None
        return world

    def world_of(self, headers: Mapping[str, str], *, anonymous: bool = True) -> WorkspaceWorld | None:
        """The world the request's credentials name, in any scheme; the default world when the
        request carries none (None when not `anonymous`); None when they name no workspace, or
        credentials of two schemes name two workspaces."""
        found = None
        for read, index, with_secret in self._lookups:  # (`world_for`, inlined: it runs every request)
            credential = read(headers)
            if credential is None:
                continue
            world = index.get(credential[0])
            if world is None or (found is not None and world is not found) or (
                with_secret is not None and not proves(with_secret, world.workspace, credential[1])
            ):
                return None
            found = world
        if found is None:
            return self.default_world if anonymous else None
        return found

    def carries_credentials(self, headers: Mapping[str, str]) -> bool:
        """Whether the request carries a workspace's credentials of any scheme (valid or not)."""
        return any(scheme.read(headers) is not None for scheme in self.schemes)

    def new_request_id(self) -> str:
        return self.request_ids.new("req")
