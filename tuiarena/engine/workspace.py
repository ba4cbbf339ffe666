"""Everything a run needs, built once: config, discovered endpoints, provider registry, pricing.

Both the UI and the headless commands start here, so they see the same models and prices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuiarena.runtime import freeze_long_lived

if TYPE_CHECKING:
    from tuiarena.providers.registry import Registry
    from tuiarena.store.config import Config
    from tuiarena.store.pricing import PricingTable


@dataclass
class Workspace:
    config: Config
    registry: Registry
    pricing: PricingTable
    notes: list[str] = field(default_factory=list)

    @property
    def only_demo(self) -> bool:
        return all(name == "demo" for name in self.registry.endpoints) if self.registry.endpoints else True

    async def aclose(self) -> None:
        await self.registry.aclose()


def demo_speed() -> float | None:
    raw = os.environ.get("TUIARENA_DEMO_SPEED")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


async def open_workspace(config: Config | None = None, *, probe_local: bool = True) -> Workspace:
    """Load config (unless given), discover endpoints and build the registry and pricing table."""
    from tuiarena.providers.discovery import discover
    from tuiarena.providers.registry import Registry
    from tuiarena.store.config import load_config
    from tuiarena.store.pricing import PricingTable

    config = config if config is not None else load_config()
    found = await discover(config, probe_local=probe_local)
    registry = Registry(found.endpoints, include_demo=True, demo_speed=demo_speed())
    local = {e.name for e in found.endpoints if e.source == "local"}
    pricing = PricingTable(config.pricing, local_endpoints=local)
    notes = list(found.notes) + list(getattr(config, "warnings", []) or [])
    freeze_long_lived()  # modules and config live as long as the process (docs/decisions/0001)
    return Workspace(config=config, registry=registry, pricing=pricing, notes=notes)
