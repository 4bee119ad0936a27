"""Render a ``World`` into wire-format messages and write them, one message per file, with a manifest.

``render`` yields ``Message`` values (a relative path, the format name, the payload and what it
carries) without touching the disk; ``write_feeds`` writes them under a directory together with
``manifest.json``, which lists every file with its counts and the planted patterns with their keys.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scenario import cargo_imp, cargo_xml, edifact, ens, wco
from scenario.reference import hs_chapter_norms
from scenario.world import AirConsignment, Booking, World

# Feed formats, named as the parsers in feeds name them.
PAXLST = "paxlst"
PNRGOV = "pnrgov"
FWB = "cargo-imp-fwb"
FFM = "cargo-imp-ffm"
XFWB = "cargo-xml-xfwb"
ENS = "ens-cc315a"
WCO_DEC = "wco-dms"


@dataclass(frozen=True)
class Message:
    path: str  # relative to the output directory
    format: str
    payload: bytes
    counts: dict[str, int] = field(default_factory=dict)


def message_count(world: World) -> int:
    """How many messages ``render`` will yield (for progress bars)."""
    booked = {key for booking in world.bookings for key in booking.flight_keys}
    arrivals = [f for f in world.arrivals() if f.key in booked]
    cargo_flights = {c.flight_key for c in world.air if not c.cargo_xml}
    return 2 * len(arrivals) + len(world.air) + len(cargo_flights) + len(world.sea) + len(world.declarations)


def render(world: World) -> Iterator[Message]:
    day = world.spec.day
    serial = 0

    def reference() -> str:
        nonlocal serial
        serial += 1
        return f"{day:%y%m%d}{serial:04d}"

    bookings_by_flight: dict[str, list[Booking]] = defaultdict(list)
    for booking in world.bookings:
        for key in booking.flight_keys:
            bookings_by_flight[key].append(booking)
    for flight in sorted(world.arrivals(), key=lambda f: (f.arrival, f.designator)):
        bookings = bookings_by_flight.get(flight.key, [])
        if not bookings:
            continue  # carriers push API and PNR data only for flights with travellers
        locators = {key: b.locator for b in bookings for key in b.passenger_keys}
        people = [world.people[key] for b in bookings for key in b.passenger_keys]
        stem = f"{flight.designator}-{flight.arrival:%Y%m%d}"
        yield Message(f"paxlst/{stem}.edi", PAXLST,
                      edifact.paxlst(world, flight, people, locators, reference()).encode("ascii"),
                      {"passengers": len(people), "flights": 1})
        legs = sum(len(b.flight_keys) + (b.return_flight_key is not None) for b in bookings)
        yield Message(f"pnrgov/{stem}.edi", PNRGOV,
                      edifact.pnrgov(world, flight, bookings, reference()).encode("ascii"),
                      {"bookings": len(bookings), "passengers": len(people), "flight_legs": legs})
    manifests: dict[str, list[AirConsignment]] = defaultdict(list)
    for consignment in world.air:
        if consignment.cargo_xml:
            yield Message(f"cargo_xml/xfwb-{consignment.awb}.xml", XFWB,
                          cargo_xml.xfwb(world, consignment, reference()), {"consignments": 1})
        else:
            manifests[consignment.flight_key].append(consignment)
            yield Message(f"cargo_imp/fwb-{consignment.awb}.txt", FWB,
                          cargo_imp.fwb(world, consignment).encode("ascii"), {"consignments": 1})
    for flight_key, consignments in manifests.items():
        flight = world.flights[flight_key]
        yield Message(f"cargo_imp/ffm-{flight.designator}-{flight.arrival:%Y%m%d}.txt", FFM,
                      cargo_imp.ffm(world, flight, consignments).encode("ascii"),
                      {"consignments": len(consignments)})
    for sea in world.sea:
        yield Message(f"ens/ens-{sea.bill_of_lading}.xml", ENS, ens.cc315a(world, sea, reference()),
                      {"consignments": 1, "goods_items": len(sea.goods), "containers": len(sea.containers)})
    for declaration in world.declarations:
        yield Message(f"wco_dms/dec-{declaration.lrn}.xml", WCO_DEC, wco.declaration(world, declaration),
                      {"declarations": 1, "goods_items": len(declaration.goods)})


def manifest(world: World, files: list[Message]) -> dict[str, Any]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for message in files:
        totals[message.format]["messages"] += 1
        for name, value in message.counts.items():
            totals[message.format][name] += value
    spec = world.spec
    return {
        "generator": "sekisho generate",
        "seed": spec.seed,
        "date": spec.day.isoformat(),
        "requested": {"travellers": spec.travellers, "consignments": spec.consignments,
                      "declarations": spec.declarations, "suspicious_rate": spec.suspicious_rate},
        "world": {"travellers": len(world.people), "bookings": len(world.bookings),
                  "arrival_flights": len(world.arrivals()), "air_consignments": len(world.air),
                  "sea_consignments": len(world.sea), "declarations": len(world.declarations),
                  "companies": len(world.companies)},
        "formats": {name: dict(values) for name, values in sorted(totals.items())},
        "files": [{"path": m.path, "format": m.format, **m.counts} for m in files],
        "planted": [asdict(p) for p in world.planted],
        "hs_chapter_norms_usd_per_kg": hs_chapter_norms(),
    }


def write_feeds(world: World, out_dir: Path, on_message: Callable[[Message], None] | None = None
                ) -> dict[str, Any]:
    """Write every message under ``out_dir`` and ``manifest.json``; returns the manifest."""
    written: list[Message] = []
    made: set[Path] = set()
    for message in render(world):
        target = out_dir / message.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(message.payload)
        written.append(Message(message.path, message.format, b"", message.counts))
        if on_message is not None:
            on_message(message)
    result = manifest(world, written)
    (out_dir / "manifest.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    return result
