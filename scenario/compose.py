"""The whole generated world: normal traffic from ``world``, then the planted scenario and random
patterns from ``planted`` (which build on the normal population)."""

from __future__ import annotations

from scenario import planted
from scenario.world import World, WorldBuilder, WorldSpec


def build_world(spec: WorldSpec) -> World:
    """The whole world for a spec: normal traffic, then the planted scenario and random patterns."""
    builder = WorldBuilder(spec)
    for designator in planted.scenario_designators():
        builder.reserve(designator=designator)
    flights = builder.add_flights()
    builder.add_companies()
    scenario_people = planted.plant_scenario(builder, flights)
    people = builder.add_people(max(0, spec.travellers - scenario_people))
    builder.add_bookings(people, flights)
    consignments_left = max(0, spec.consignments - len(builder.world.air) - len(builder.world.sea))
    builder.add_consignments(consignments_left, flights)
    planted.plant_random_patterns(builder, flights)
    builder.add_declarations(spec.declarations)
    return builder.world
