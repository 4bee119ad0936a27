"""Realistic feed generator: a consistent world rendered into the wire formats carriers and traders send.

``generate(spec, out_dir)`` builds the world (``compose.build_world``), plants the demo scenario and
random suspicious patterns (``planted``) and writes PAXLST, PNRGOV, Cargo-IMP FWB/FFM, Cargo-XML XFWB,
ENS CC315A and WCO declarations plus a ``manifest.json`` (``render``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scenario.compose import build_world
from scenario.render import Message, message_count, render, write_feeds
from scenario.world import World, WorldSpec

PROFILES: dict[str, dict[str, int]] = {
    "demo": {"travellers": 200, "consignments": 60, "declarations": 40},
    "large": {"travellers": 10_000, "consignments": 3_000, "declarations": 2_000},
}


def spec_for(profile: str = "demo", *, seed: int = 1, day: date | None = None, suspicious_rate: float = 0.01,
             **sizes: int) -> WorldSpec:
    """A ``WorldSpec`` from a profile's sizes (overridden by ``travellers=``, ``consignments=``, ...)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    chosen = {**PROFILES[profile], **sizes}
    return WorldSpec(travellers=chosen["travellers"], consignments=chosen["consignments"],
                     declarations=chosen["declarations"], seed=seed, day=day or datetime.now(UTC).date(),
                     suspicious_rate=suspicious_rate)


def generate(spec: WorldSpec, out_dir: Path, on_message: Callable[[Message], None] | None = None
             ) -> dict[str, Any]:
    """Build the world for ``spec`` and write its feeds under ``out_dir``; returns the manifest."""
    return write_feeds(build_world(spec), out_dir, on_message)


__all__ = ["PROFILES", "Message", "World", "WorldSpec", "build_world", "generate", "message_count", "render",
           "spec_for", "write_feeds"]
