"""The generated world: people, companies, flights, bookings, consignments and declarations.

``WorldBuilder`` is pure: the same ``WorldSpec`` (seed, date, sizes) gives the same normal traffic;
``scenario.compose.build_world`` adds the planted scenario (``scenario.planted`` builds on this module,
never the reverse). Entities are frozen dataclasses that the message writers render into carrier and
trader wire formats; the same person or company is referenced by key from several feeds (a traveller's
phone is the contact of a PNR, a consignee of an air waybill is the importer of a declaration).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from scenario import identifiers as ids
from scenario import reference as ref
from scenario.reference import Goods


@dataclass(frozen=True)
class WorldSpec:
    travellers: int
    consignments: int
    declarations: int
    seed: int
    day: date
    suspicious_rate: float = 0.01  # share of bookings / consignments given a suspicious pattern


@dataclass(frozen=True)
class PostalAddress:
    lines: tuple[str, ...]
    city: str
    country: str
    postcode: str | None = None


@dataclass(frozen=True)
class Person:
    key: str
    given_names: str
    surname: str
    gender: str
    date_of_birth: date
    nationality: str
    passport: str
    passport_country: str
    passport_expiry: date
    phone: str
    email: str
    address: PostalAddress

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


@dataclass(frozen=True)
class Company:
    key: str
    name: str
    country: str
    address: PostalAddress
    phone: str | None
    email: str | None
    eori: str
    listed_id: str | None = None  # the watchlist entry this company is, if any


@dataclass(frozen=True)
class Flight:
    key: str
    carrier: str
    number: str
    origin: str
    destination: str
    departure: datetime
    arrival: datetime
    aircraft: str = "77W"

    @property
    def designator(self) -> str:
        return f"{self.carrier}{self.number}"


@dataclass(frozen=True)
class Booking:
    locator: str
    carrier: str
    created_at: datetime
    passenger_keys: tuple[str, ...]
    flight_keys: tuple[str, ...]  # in travel order; the last inbound leg lands in Japan
    return_flight_key: str | None  # None for a one-way ticket
    form_of_payment: str  # CA cash, CC card
    card_type: str | None
    card_number: str | None
    amount: float
    currency: str
    payer_name: str
    payer_address: str
    payer_phone: str
    contact_phones: tuple[str, ...]
    contact_emails: tuple[str, ...]
    agency: str

    @property
    def one_way(self) -> bool:
        return self.return_flight_key is None


@dataclass(frozen=True)
class GoodsLine:
    goods: Goods
    description: str
    pieces: int
    weight_kg: float
    value: float
    currency: str


@dataclass(frozen=True)
class AirConsignment:
    awb: str
    flight_key: str
    origin: str
    destination: str
    routing: tuple[str, ...]  # airports after the origin, the destination last
    shipper_key: str
    consignee_key: str
    goods: GoodsLine
    cargo_xml: bool  # sent as Cargo-XML XFWB instead of Cargo-IMP FWB
    issued: date

    @property
    def weight_kg(self) -> float:
        return self.goods.weight_kg


@dataclass(frozen=True)
class SeaConsignment:
    bill_of_lading: str
    carrier_name: str
    vessel_name: str
    vessel_imo: str
    voyage: str
    port_of_loading: str
    port_of_discharge: str
    itinerary: tuple[str, ...]  # countries of routing, in order, ending JP
    shipper_key: str
    consignee_key: str
    notify_key: str | None
    containers: tuple[str, ...]
    goods: tuple[GoodsLine, ...]
    arrival: datetime
    lodged_at: datetime


@dataclass(frozen=True)
class CustomsDeclaration:
    lrn: str
    importer_key: str
    exporter_key: str
    declarant_key: str
    mode: str  # air or sea
    transport_document: str
    containers: tuple[str, ...]
    goods: tuple[GoodsLine, ...]
    origin_country: str
    export_country: str
    office: str
    declared_at: datetime
    vessel_or_flight: str


@dataclass(frozen=True)
class PlantedPattern:
    """A suspicious pattern put into the world on purpose, with the natural keys of what it involves."""

    pattern: str
    description: str
    entities: dict[str, list[str]]


@dataclass
class World:
    spec: WorldSpec
    people: dict[str, Person] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    flights: dict[str, Flight] = field(default_factory=dict)
    bookings: list[Booking] = field(default_factory=list)
    air: list[AirConsignment] = field(default_factory=list)
    sea: list[SeaConsignment] = field(default_factory=list)
    declarations: list[CustomsDeclaration] = field(default_factory=list)
    planted: list[PlantedPattern] = field(default_factory=list)

    def arrivals(self) -> list[Flight]:
        """Flights landing in Japan on the feed day: the ones carriers report API and PNR data for."""
        return [f for f in self.flights.values()
                if f.destination in ref.JAPAN_AIRPORTS and f.arrival.date() == self.spec.day]

    def bookings_on(self, flight_key: str) -> list[Booking]:
        return [b for b in self.bookings if flight_key in b.flight_keys]


# Rough block hours to Japan by origin country: enough to make timetables plausible.
BLOCK_HOURS: dict[str, float] = {
    "HK": 4.5, "KR": 2.3, "CN": 3.5, "TW": 3.3, "PH": 4.5, "TH": 6.0, "SG": 7.0, "MY": 7.0, "VN": 5.5,
    "ID": 7.3, "IN": 8.5, "AE": 10.0, "QA": 10.5, "TR": 11.5, "GB": 13.0, "FR": 13.0, "DE": 12.5,
    "NL": 12.5, "FI": 13.0, "AU": 9.5, "NZ": 11.0, "US": 11.5, "CA": 10.0, "MN": 5.5,
    "IR": 9.0, "KP": 3.0, "SY": 11.0, "RU": 9.5, "BY": 10.0, "CU": 14.0, "MM": 7.0,
}


def _hours(origin: str) -> float:
    return BLOCK_HOURS.get(ref.AIRPORTS[origin][0], 6.0)


def _dob(rng: random.Random, day: date) -> date:
    return day - timedelta(days=rng.randrange(18 * 365, 75 * 365))


def make_address(rng: random.Random, country: str) -> PostalAddress:
    city = rng.choice(ref.CITIES.get(country, ("Capital City",)))
    street = f"{rng.randrange(1, 300)} {rng.choice(ref.LOCAL_STREETS.get(country, ref.STREETS))}"
    postcode = f"{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}" if country == "JP" else (
        f"{rng.randrange(10000, 99999)}" if country not in ("HK", "AE", "QA") else None)
    return PostalAddress(lines=(street,), city=city, country=country, postcode=postcode)


def make_person(rng: random.Random, key: str, day: date, nationality: str | None = None) -> Person:
    country = nationality or rng.choice(ref.TRAVELLER_COUNTRIES)
    male, female, surnames = ref.NAMES[country]
    gender = rng.choice("MF")
    given = rng.choice(male if gender == "M" else female)
    surname = rng.choice(surnames)
    local = "".join(ch for ch in f"{given.split()[0]}.{surname}".lower() if ch.isalnum() or ch == ".")
    local = f"{local}{rng.randrange(10, 999)}"
    domain = rng.choice(("mail-example.com", "inbox-example.net", "post-example.org"))
    return Person(
        key=key, given_names=given, surname=surname, gender=gender, date_of_birth=_dob(rng, day),
        nationality=country, passport=ids.passport_number(rng, country), passport_country=country,
        passport_expiry=day + timedelta(days=rng.randrange(120, 3600)),
        phone=ids.mobile_number(rng, country), email=f"{local}@{domain}", address=make_address(rng, country),
    )


def make_company(rng: random.Random, key: str, country: str) -> Company:
    name = f"{rng.choice(ref.COMPANY_WORDS)} {rng.choice(ref.COMPANY_WORDS)} {rng.choice(ref.COMPANY_TRADES)}"
    name = f"{name} {ref.COMPANY_SUFFIX.get(country, 'LTD')}"
    slug = "".join(ch for ch in name.split()[0] + name.split()[1] if ch.isalpha()).lower()
    return Company(
        key=key, name=name, country=country, address=make_address(rng, country),
        phone=ids.mobile_number(rng, country), email=f"info@{slug}-example.{country.lower()}",
        eori=ids.eori_number(rng, country),
    )


def make_flight(rng: random.Random, carrier: str, number: str, origin: str, destination: str,
                arrival: datetime) -> Flight:
    if destination in ref.JAPAN_AIRPORTS:
        hours = _hours(origin)
    else:
        hours = _hours(destination) if origin in ref.JAPAN_AIRPORTS else 3.5
    departure = arrival - timedelta(hours=hours)
    return Flight(
        key=f"{carrier}{number}/{departure:%Y-%m-%d}", carrier=carrier, number=number, origin=origin,
        destination=destination, departure=departure.replace(second=0, microsecond=0),
        arrival=arrival.replace(second=0, microsecond=0), aircraft=rng.choice(("77W", "359", "788", "333", "321")),
    )


def _arrival_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randrange(6, 23), rng.choice((0, 5, 15, 20, 30, 40, 45, 55))))


def _carrier_for(rng: random.Random, origin: str) -> str:
    country = ref.AIRPORTS[origin][0]
    home = [c.code for c in ref.CARRIERS if c.home_country == country]
    return rng.choice([*home, *ref.JAPANESE_CARRIERS] if home else list(ref.JAPANESE_CARRIERS))


class WorldBuilder:
    """Builds a ``World`` step by step from one random generator (so one seed fixes everything)."""

    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.world = World(spec=spec)
        self._numbers: set[str] = set()
        self._locators: set[str] = set()
        self._awbs: set[str] = set()
        self._returns: dict[tuple[str, int], Flight] = {}
        self._company_pools: dict[str, list[Company]] = {}

    # -- identifiers that must be unique within the world
    def reserve(self, *, locator: str | None = None, awb: str | None = None, designator: str | None = None) -> None:
        """Keep identifiers fixed by the planted scenario out of the random draws."""
        if locator:
            self._locators.add(locator)
        if awb:
            self._awbs.add(awb)
        if designator:
            self._numbers.add(designator)

    def unique_locator(self) -> str:
        while True:
            locator = ids.record_locator(self.rng)
            if locator not in self._locators:
                self._locators.add(locator)
                return locator

    def unique_awb(self, carrier: str) -> str:
        while True:
            awb = ids.awb_number(self.rng, ref.CARRIER_BY_CODE[carrier].awb_prefix)
            if awb not in self._awbs:
                self._awbs.add(awb)
                return awb

    def flight(self, carrier: str, origin: str, destination: str, arrival: datetime,
               number: str | None = None) -> Flight:
        while number is None:  # a random number must not collide; a given one is the caller's choice
            candidate = str(self.rng.randrange(10, 1999))
            number = None if f"{carrier}{candidate}" in self._numbers else candidate
        self._numbers.add(f"{carrier}{number}")
        flight = make_flight(self.rng, carrier, number, origin, destination, arrival)
        self.world.flights[flight.key] = flight
        return flight

    # -- the normal population
    def add_flights(self) -> list[Flight]:
        count = max(2, round(self.spec.travellers / 60))
        return [
            self.flight(_carrier_for(self.rng, origin), origin, self.rng.choice(ref.JAPAN_AIRPORTS),
                        _arrival_time(self.rng, self.spec.day))
            for origin in (self.rng.choice(ref.ORIGIN_AIRPORTS) for _ in range(count))
        ]

    def add_people(self, count: int) -> list[Person]:
        people = [make_person(self.rng, f"p-{i:06d}", self.spec.day) for i in range(count)]
        for person in people:
            self.world.people[person.key] = person
        return people

    def add_companies(self) -> None:
        foreign = max(6, self.spec.consignments // 3)
        domestic = max(4, self.spec.consignments // 4)
        exporters = ("CN", "HK", "KR", "TW", "US", "DE", "VN", "TH", "SG", "IN", "FR", "GB", "MY")
        for i in range(foreign):
            company = make_company(self.rng, f"c-x{i:05d}", self.rng.choice(exporters))
            self.world.companies[company.key] = company
        for i in range(domestic):
            company = make_company(self.rng, f"c-j{i:05d}", "JP")
            self.world.companies[company.key] = company
        for i in range(3):  # customs brokers who lodge declarations for importers
            broker = make_company(self.rng, f"c-b{i:05d}", "JP")
            self.world.companies[broker.key] = replace(broker, name=broker.name.replace(
                broker.name.split()[2], "CUSTOMS BROKERAGE", 1))

    def companies(self, prefix: str) -> list[Company]:
        """Companies by key prefix (c-x foreign traders, c-j Japanese importers, c-b customs brokers)."""
        if prefix not in self._company_pools:
            self._company_pools[prefix] = [c for key, c in self.world.companies.items() if key.startswith(prefix)]
        return self._company_pools[prefix]

    def booking(self, people: Sequence[Person], legs: Sequence[Flight], *, return_leg: Flight | None,
                cash: bool, hours_before: float, payer: tuple[str, str, str] | None = None) -> Booking:
        rng = self.rng
        lead = people[0]
        first = legs[0]
        carrier = legs[-1].carrier
        fare = round(rng.uniform(250, 2400) * len(people) * (1.0 if return_leg is None else 1.7), 2)
        card_type, card = (None, None) if cash else ids.masked_card(rng)
        payer_name, payer_address, payer_phone = payer or (
            lead.full_name, f"{lead.address.lines[0]} {lead.address.city}", lead.phone)
        return Booking(
            locator=self.unique_locator(), carrier=carrier,
            created_at=(first.departure - timedelta(hours=hours_before)).replace(second=0, microsecond=0),
            passenger_keys=tuple(p.key for p in people), flight_keys=tuple(f.key for f in legs),
            return_flight_key=None if return_leg is None else return_leg.key,
            form_of_payment="CA" if cash else "CC", card_type=card_type, card_number=card, amount=fare,
            currency="USD", payer_name=payer_name, payer_address=payer_address, payer_phone=payer_phone,
            contact_phones=tuple(p.phone for p in people), contact_emails=(lead.email,),
            agency=f"{rng.randrange(10_000_000, 99_999_999)}",
        )

    def return_flight(self, inbound: Flight) -> Flight:
        """The flight back, numbered inbound + 1 as carriers do; one per route and day, shared by bookings."""
        days = self.rng.randrange(3, 21)
        cache_key = (inbound.key, days)
        if cache_key not in self._returns:
            departure = datetime.combine(self.spec.day + timedelta(days=days), inbound.departure.time())
            flight = make_flight(self.rng, inbound.carrier, str(int(inbound.number) + 1), inbound.destination,
                                 inbound.origin, departure + timedelta(hours=_hours(inbound.origin)))
            self.world.flights[flight.key] = flight
            self._returns[cache_key] = flight
        return self._returns[cache_key]

    def add_bookings(self, people: list[Person], flights: list[Flight]) -> None:
        rng = self.rng
        i = 0
        while i < len(people):
            size = min(len(people) - i, rng.choices((1, 2, 3, 4), weights=(55, 30, 10, 5))[0])
            group = people[i:i + size]
            i += size
            inbound = rng.choice(flights)
            one_way = rng.random() < 0.25
            cash = rng.random() < 0.06
            late = rng.random() < 0.08
            if one_way and cash and late:  # that combination is reserved for the planted pattern
                late = False
            hours = rng.uniform(6, 70) if late else rng.uniform(80, 24 * 120)
            self.world.bookings.append(self.booking(
                group, [inbound], return_leg=None if one_way else self.return_flight(inbound),
                cash=cash, hours_before=hours))

    def goods_line(self, goods: Goods, factor: float | None = None, weight: float | None = None) -> GoodsLine:
        rng = self.rng
        kg = round(weight if weight is not None else rng.uniform(goods.min_kg, goods.max_kg), 1)
        factor = rng.uniform(0.6, 1.8) if factor is None else factor
        per_piece = max(5.0, goods.max_kg / 40)
        return GoodsLine(goods=goods, description=goods.description, pieces=max(1, round(kg / per_piece)),
                         weight_kg=kg, value=round(kg * goods.usd_per_kg * factor, 2), currency="USD")

    def air_consignment(self, flight: Flight, shipper: Company, consignee: Company, line: GoodsLine,
                        routing: tuple[str, ...] | None = None, awb: str | None = None) -> AirConsignment:
        consignment = AirConsignment(
            awb=awb or self.unique_awb(flight.carrier), flight_key=flight.key, origin=flight.origin,
            destination=flight.destination, routing=routing or (flight.destination,), shipper_key=shipper.key,
            consignee_key=consignee.key, goods=line, cargo_xml=self.rng.random() < 0.35,
            issued=flight.departure.date() - timedelta(days=self.rng.randrange(0, 3)),
        )
        self.world.air.append(consignment)
        return consignment

    def sea_consignment(self, shipper: Company, consignee: Company, lines: tuple[GoodsLine, ...],
                        loading: str | None = None, via: tuple[str, ...] = ()) -> SeaConsignment:
        rng = self.rng
        owner = rng.choice(ref.CONTAINER_OWNERS)
        loading = loading or rng.choice(list(ref.SEA_PORTS))
        country = ref.SEA_PORTS.get(loading) or ref.RISKY_SEA_PORTS[loading]
        arrival = datetime.combine(self.spec.day + timedelta(days=rng.randrange(1, 10)), time(rng.randrange(0, 24)))
        total = sum(line.weight_kg for line in lines)
        consignment = SeaConsignment(
            bill_of_lading=f"{owner}{rng.randrange(10**8, 10**9)}", carrier_name=f"{owner[:3]} LINES",
            vessel_name=rng.choice(ref.VESSEL_NAMES), vessel_imo=ids.imo_number(rng),
            voyage=f"{rng.randrange(100, 999)}{rng.choice('NSEW')}", port_of_loading=loading,
            port_of_discharge=rng.choice(ref.JAPAN_SEA_PORTS), itinerary=(country, *via, "JP"),
            shipper_key=shipper.key, consignee_key=consignee.key,
            notify_key=consignee.key if rng.random() < 0.5 else None,
            containers=tuple(ids.container_number(rng, owner) for _ in range(max(1, round(total / 18000 + 0.4)))),
            goods=lines, arrival=arrival, lodged_at=arrival - timedelta(hours=rng.randrange(26, 120)),
        )
        self.world.sea.append(consignment)
        return consignment

    def add_consignments(self, count: int, flights: list[Flight]) -> None:
        rng = self.rng
        shippers, consignees = self.companies("c-x"), self.companies("c-j")
        for _ in range(count):
            shipper, consignee = rng.choice(shippers), rng.choice(consignees)
            if rng.random() < 0.6:
                goods = rng.choice(ref.AIR_GOODS)
                line = self.goods_line(goods, weight=rng.uniform(goods.min_kg, min(goods.max_kg, 2500)))
                self.air_consignment(rng.choice(flights), shipper, consignee, line)
            else:
                lines = tuple(self.goods_line(rng.choice(ref.GOODS)) for _ in range(rng.choice((1, 1, 2, 3))))
                self.sea_consignment(shipper, consignee, lines)

    def declaration_for(self, consignment: AirConsignment | SeaConsignment) -> CustomsDeclaration:
        rng = self.rng
        brokers = self.companies("c-b")
        if isinstance(consignment, AirConsignment):
            flight = self.world.flights[consignment.flight_key]
            lines: tuple[GoodsLine, ...] = (consignment.goods,)
            mode, document = "air", consignment.awb
            containers: tuple[str, ...] = ()
            origin = ref.AIRPORTS[consignment.origin][0]
            office, when, means = consignment.destination, flight.arrival, flight.designator
        else:
            lines, mode, document = consignment.goods, "sea", consignment.bill_of_lading
            containers, origin = consignment.containers, consignment.itinerary[0]
            office, when, means = consignment.port_of_discharge[2:], consignment.arrival, consignment.vessel_imo
        shipper = self.world.companies[consignment.shipper_key]
        declaration = CustomsDeclaration(
            lrn=f"{self.spec.day:%y}JP{rng.randrange(10**9, 10**10)}", importer_key=consignment.consignee_key,
            exporter_key=consignment.shipper_key, declarant_key=rng.choice(brokers).key, mode=mode,
            transport_document=document, containers=containers, goods=lines,
            origin_country=shipper.country, export_country=origin,
            office=office, declared_at=when - timedelta(hours=rng.randrange(2, 30)), vessel_or_flight=means,
        )
        self.world.declarations.append(declaration)
        return declaration

    def add_declarations(self, count: int) -> None:
        declared = {d.transport_document for d in self.world.declarations}
        pool: list[AirConsignment | SeaConsignment] = [c for c in self.world.air if c.awb not in declared]
        pool += [c for c in self.world.sea if c.bill_of_lading not in declared]
        self.rng.shuffle(pool)
        for consignment in pool[:max(0, count - len(self.world.declarations))]:
            self.declaration_for(consignment)
