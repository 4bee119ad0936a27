"""Labelled records for evaluating entity resolution: what each feed would say, with noise, and the truth.

``labelled_records(world, profile, seed)`` turns a generated world into the records the feeds give
(API/PAXLST and PNRGOV travellers and flight legs, air waybills, flight manifests, entry summary and
customs declarations, the trade parties named in each) with the record ids the parsers would give
them, and distorts them the way real feeds do: spelling slips, other transliterations, swapped name
order, missing dates of birth, mistyped passport numbers, missing contacts, company-name variants.
Because the generator knows which person, shipment, company or flight every record describes, it
returns that truth beside the records, and a hand-made set of hard negatives: namesakes on the same
flight, relatives sharing an address and phone, and forwarders whose contact details appear for
unrelated shippers. Those pairs describe different entities and must never be merged.

Noise profiles are data (``NOISE_PROFILES``): one is used to choose the resolution rules, another,
with a different mix and seed, to report on.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TypeVar

from scenario import identifiers as ids
from scenario.world import AirConsignment, Company, Flight, Person, PostalAddress, SeaConsignment, World
from schemas.records import (
    Address,
    Consignment,
    Declaration,
    FlightLeg,
    Identifier,
    Party,
    Passenger,
    Record,
    TravelDocument,
    make_id,
)

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class NoiseProfile:
    """How often each distortion hits a record (probabilities in [0, 1])."""

    name: str
    spelling: float  # one letter wrong, missing, doubled or swapped in one name part
    transliteration: float  # a name part in another romanisation (VOLKOV / WOLKOW, SERGEI / SERGEY)
    name_order: float  # SURNAME GIVEN instead of GIVEN SURNAME
    pnr_birth_date_missing: float  # PNR without the SSR DOCS date of birth
    api_birth_date_missing: float
    pnr_document_missing: float
    document_typo: float  # a passport number mistyped by one character
    locator_missing: float  # API record without its booking reference
    contact_missing: float  # PNR without phone or e-mail
    company_variant: float  # legal form, abbreviation or punctuation of a company name changed
    company_typo: float
    registration_missing: float  # a declaration or ENS party without its EORI
    contact_on_party: float  # a waybill party carries its phone and e-mail
    second_ens: float  # a sea shipment filed a second time by a forwarder, without the bill of lading


NOISE_PROFILES: dict[str, NoiseProfile] = {
    # Used to choose the rules and thresholds.
    "dev": NoiseProfile(
        name="dev", spelling=0.15, transliteration=0.15, name_order=0.3, pnr_birth_date_missing=0.35,
        api_birth_date_missing=0.02, pnr_document_missing=0.4, document_typo=0.05, locator_missing=0.2,
        contact_missing=0.2, company_variant=0.3, company_typo=0.1, registration_missing=0.2,
        contact_on_party=0.8, second_ens=0.3,
    ),
    # Reported on, never tuned on: heavier and differently mixed.
    "test": NoiseProfile(
        name="test", spelling=0.25, transliteration=0.3, name_order=0.5, pnr_birth_date_missing=0.5,
        api_birth_date_missing=0.05, pnr_document_missing=0.5, document_typo=0.1, locator_missing=0.3,
        contact_missing=0.3, company_variant=0.45, company_typo=0.15, registration_missing=0.3,
        contact_on_party=0.7, second_ens=0.4,
    ),
    "clean": NoiseProfile(
        name="clean", spelling=0, transliteration=0, name_order=0, pnr_birth_date_missing=0,
        api_birth_date_missing=0, pnr_document_missing=0, document_typo=0, locator_missing=0, contact_missing=0,
        company_variant=0, company_typo=0, registration_missing=0, contact_on_party=1, second_ens=0,
    ),
}

# Romanisation variants seen between feeds: (pattern, replacement) applied to one name part.
TRANSLITERATIONS: tuple[tuple[str, str], ...] = (
    (r"EI$", "EY"), (r"EI$", "EJ"), (r"I$", "IY"), (r"I$", "II"), (r"V$", "W"), (r"OV$", "OFF"), (r"KS", "X"),
    (r"X", "KS"), (r"YU", "IU"), (r"YA", "IA"), (r"ZH", "J"), (r"^CH", "TCH"), (r"SH", "SCH"), (r"KH", "H"),
    (r"EE", "I"), (r"OO", "U"), (r"U", "OU"), (r"-", ""), (r"-", " "), (r"^J", "DJ"), (r"Y", "I"), (r"AI", "AY"),
    (r"IE", "YE"), (r"^YU", "U"), (r"TS", "C"), (r"PH", "F"), (r"^IV", "YV"), (r"C", "K"),
)
COMPANY_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("INTERNATIONAL", "INTL"), ("TRADING", "TRDG"), ("COMPANY", "CO"), ("LIMITED", "LTD"), ("LTD", "LIMITED"),
    ("CO LTD", "CO., LTD."), ("CORPORATION", "CORP"), ("LOGISTICS", "LOGISTIC"), ("INDUSTRIAL", "IND"),
    (" LTD", ""), ("KABUSHIKI KAISHA", "KK"), ("GMBH", "G.M.B.H."), ("&", "AND"),
)


@dataclass
class LabelledRecords:
    """Records, the entity each describes (``kind:key``), and the pairs that must not merge (with why)."""

    records: list[Record] = field(default_factory=list)
    truth: dict[str, str] = field(default_factory=dict)
    hard_negatives: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, record: R, entity: str) -> R:
        if record.id in self.truth:
            return record  # the same record from another message: one record
        self.records.append(record)
        self.truth[record.id] = entity
        return record


class _Noise:
    def __init__(self, profile: NoiseProfile, seed: int) -> None:
        self.profile = profile
        self.rng = random.Random(seed)

    def hit(self, rate: float) -> bool:
        return self.rng.random() < rate

    def slip(self, word: str) -> str:
        """One keyboard or hearing slip in a word long enough to survive it."""
        if len(word) < 5:
            return word
        i = self.rng.randrange(1, len(word) - 1)
        kind = self.rng.choice(("swap", "drop", "double", "replace"))
        if kind == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind == "drop":
            return word[:i] + word[i + 1 :]
        if kind == "double":
            return word[:i] + word[i] + word[i:]
        vowels = "AEIOU"
        pool = vowels if word[i] in vowels else "BCDFGKLMNPRSTVZ"
        return word[:i] + self.rng.choice([c for c in pool if c != word[i]]) + word[i + 1 :]

    def transliterate(self, word: str) -> str:
        options = [(p, r) for p, r in TRANSLITERATIONS if re.search(p, word)]
        if not options:
            return word
        pattern, replacement = self.rng.choice(options)
        return re.sub(pattern, replacement, word, count=1)

    def person_name(self, given: str, surname: str) -> tuple[str, str, str]:
        """(given names, surname, full name) as one feed writes them."""
        parts = [given, surname]
        if self.hit(self.profile.transliteration):
            index = self.rng.randrange(2)
            parts[index] = self.transliterate(parts[index])
        if self.hit(self.profile.spelling):
            index = self.rng.randrange(2)
            parts[index] = self.slip(parts[index])
        full = f"{parts[1]} {parts[0]}" if self.hit(self.profile.name_order) else f"{parts[0]} {parts[1]}"
        return parts[0], parts[1], full

    def company_name(self, name: str) -> str:
        if self.hit(self.profile.company_variant):
            options = [(a, b) for a, b in COMPANY_ABBREVIATIONS if a in name]
            if options:
                old, new = self.rng.choice(options)
                name = " ".join(name.replace(old, new, 1).split())
        if self.hit(self.profile.company_typo):
            words = name.split()
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            words[longest] = self.slip(words[longest])
            name = " ".join(words)
        return name

    def document(self, number: str) -> str:
        if not self.hit(self.profile.document_typo):
            return number
        i = self.rng.randrange(1, len(number))
        if number[i].isdigit():
            return number[:i] + self.rng.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]
        return number[:i] + number[i + 1 :] + number[i]


def _address(address: PostalAddress) -> Address:
    return Address(lines=list(address.lines), city=address.city, postcode=address.postcode, country=address.country)


def _leg_id(flight: Flight) -> str:
    return make_id("flight_leg", flight.carrier, flight.number, flight.departure.date(), flight.origin)


def _flight_legs(out: LabelledRecords, flight: Flight, noise: _Noise) -> None:
    """The same flight as the API, PNR and cargo feeds each report it (numbers padded or not)."""
    for source in ("paxlst", "pnrgov", "cargo-imp-ffm"):
        number = flight.number.zfill(4) if noise.hit(0.3) else flight.number
        out.add(
            FlightLeg(
                id=make_id("flight_leg", source, flight.carrier, number, flight.departure.date(), flight.origin),
                source_format=source,
                carrier=flight.carrier,
                flight_number=number,
                departure_airport=flight.origin,
                arrival_airport=flight.destination,
                flight_date=flight.departure.date(),
            ),
            f"flight:{flight.key}",
        )


def _api_passenger(person: Person, flight: Flight, locator: str, noise: _Noise) -> Passenger:
    p = noise.profile
    number = noise.document(person.passport)
    given, surname, full = noise.person_name(person.given_names, person.surname)
    return Passenger(
        id=make_id("passenger", "paxlst", number, person.surname, flight.key),
        source_format="paxlst",
        full_name=full,
        given_names=given,
        surname=surname,
        date_of_birth=None if noise.hit(p.api_birth_date_missing) else person.date_of_birth,
        gender="F" if person.gender == "F" else "M",
        nationality=person.nationality,
        documents=[TravelDocument(doc_type="P", number=number, issuing_country=person.passport_country)],
        record_locator=None if noise.hit(p.locator_missing) else locator,
        flight_leg_ids=[_leg_id(flight)],
        debarkation=flight.destination,
    )


def _pnr_passenger(person: Person, legs: list[Flight], locator: str, contacts: tuple[str, str], index: int,
                   noise: _Noise) -> Passenger:
    p = noise.profile
    documents = [] if noise.hit(p.pnr_document_missing) else [
        TravelDocument(doc_type="P", number=noise.document(person.passport), issuing_country=person.passport_country)
    ]
    phone, email = contacts
    given, surname, full = noise.person_name(person.given_names, person.surname)
    return Passenger(
        id=make_id("passenger", "pnrgov", locator, person.surname, person.given_names, index),
        source_format="pnrgov",
        full_name=full,
        given_names=given,
        surname=surname,
        date_of_birth=None if noise.hit(p.pnr_birth_date_missing) else person.date_of_birth,
        documents=documents,
        phones=[] if noise.hit(p.contact_missing) else [phone],
        emails=[] if noise.hit(p.contact_missing) else [email],
        record_locator=locator,
        flight_leg_ids=[_leg_id(leg) for leg in legs],
    )


def _travellers(out: LabelledRecords, world: World, noise: _Noise) -> None:
    arriving = {flight.key for flight in world.arrivals()}
    for flight in sorted(world.flights.values(), key=lambda f: f.key):
        if flight.key in arriving:
            _flight_legs(out, flight, noise)
    for booking in world.bookings:
        inbound = [world.flights[key] for key in booking.flight_keys if key in arriving]
        if not inbound:
            continue
        legs = [world.flights[key] for key in booking.flight_keys]
        if booking.return_flight_key:
            legs.append(world.flights[booking.return_flight_key])
        contacts = (booking.contact_phones[0], booking.contact_emails[0])
        for index, key in enumerate(booking.passenger_keys):
            person = world.people[key]
            for flight in inbound:
                out.add(_api_passenger(person, flight, booking.locator, noise), f"person:{key}")
            out.add(_pnr_passenger(person, legs, booking.locator, contacts, index, noise), f"person:{key}")


def _party(company: Company, role: str, source: str, noise: _Noise, *, registration: bool,
           contact: Company | None = None) -> Party:
    """A trade party as one feed names it; ``contact`` is whose phone and e-mail it gives (a forwarder's desk)."""
    p = noise.profile
    name = noise.company_name(company.name)
    address = _address(company.address)
    registrations = [company.eori] if registration and company.eori and not noise.hit(p.registration_missing) else []
    with_contact = noise.hit(p.contact_on_party)
    phones = [x for x in [(contact or company).phone] if x and with_contact]
    emails = [x for x in [(contact or company).email] if x and with_contact]
    natural = ("registration", registrations[0]) if registrations else (name, *address.lines, address.city)
    return Party(
        id=make_id("party", source, *natural),
        source_format=source,
        name=name,
        schema_name="Company",
        roles=[role],
        address=address,
        phones=phones,
        emails=emails,
        registration_ids=registrations,
    )


def _air(out: LabelledRecords, world: World, consignment: AirConsignment, noise: _Noise,
         forwarder: Company | None) -> None:
    flight = world.flights[consignment.flight_key]
    shipper, consignee = world.companies[consignment.shipper_key], world.companies[consignment.consignee_key]
    source = "cargo-xml-xfwb" if consignment.cargo_xml else "cargo-imp-fwb"
    parties = [
        out.add(_party(shipper, "shipper", source, noise, registration=False, contact=forwarder),
                f"company:{shipper.key}"),
        out.add(_party(consignee, "consignee", source, noise, registration=False), f"company:{consignee.key}"),
    ]
    truth = f"consignment:{consignment.awb}"
    awb = consignment.awb if noise.hit(0.5) else consignment.awb.replace("-", "")
    out.add(Consignment(
        id=make_id("consignment", "MAWB", consignment.awb, consignment.origin, consignment.destination),
        source_format=source, transport_document=awb, document_type="MAWB", transport_mode="air",
        carrier=flight.carrier, flight_number=flight.number, origin=consignment.origin,
        destination=consignment.destination, shipper_id=parties[0].id, consignee_id=parties[1].id,
        shipper_name=parties[0].name, consignee_name=parties[1].name,
    ), truth)
    if not consignment.cargo_xml:  # a flight manifest lists the waybill again
        out.add(Consignment(
            id=make_id("consignment", "FFM", consignment.awb, consignment.origin, consignment.destination,
                       flight.carrier, flight.number, flight.departure.date()),
            source_format="cargo-imp-ffm", transport_document=consignment.awb, document_type="MAWB",
            transport_mode="air", carrier=flight.carrier, flight_number=flight.number, origin=consignment.origin,
            destination=consignment.destination,
        ), truth)


def _sea(out: LabelledRecords, consignment: SeaConsignment, noise: _Noise, forwarder: Company | None,
         world: World) -> None:
    shipper, consignee = world.companies[consignment.shipper_key], world.companies[consignment.consignee_key]
    truth = f"consignment:{consignment.bill_of_lading}"
    for filing in range(2 if noise.hit(noise.profile.second_ens) else 1):
        source = "ens-cc315a"
        consignee_party = out.add(_party(consignee, "consignee", source, noise, registration=True),
                                  f"company:{consignee.key}")
        shipper_party = out.add(_party(shipper, "shipper", source, noise, registration=True, contact=forwarder),
                                f"company:{shipper.key}")
        lrn = f"{consignment.arrival:%y}JP{make_id('lrn', consignment.bill_of_lading, filing)[-10:].upper()}"
        out.add(Consignment(
            id=make_id("consignment", "ENS", lrn, "forwarder" if filing else "carrier"),
            source_format=source,
            # The forwarder's filing quotes only its own reference: the sailing has to say it is the same.
            transport_document=consignment.bill_of_lading if filing == 0 else lrn,
            identifiers=[Identifier(scheme="lrn", value=lrn, source_field="ENS")],
            document_type="ENS", transport_mode="sea", vessel_imo=consignment.vessel_imo,
            containers=list(consignment.containers), port_of_arrival=consignment.port_of_discharge,
            arrival_date=consignment.arrival.date(), shipper_id=shipper_party.id, consignee_id=consignee_party.id,
            shipper_name=shipper_party.name, consignee_name=consignee_party.name,
        ), truth)


def _declarations(out: LabelledRecords, world: World, noise: _Noise) -> None:
    for declaration in world.declarations:
        importer = world.companies[declaration.importer_key]
        exporter = world.companies[declaration.exporter_key]
        declarant = world.companies[declaration.declarant_key]
        names = []
        for company, role in ((importer, "importer"), (exporter, "exporter"), (declarant, "declarant")):
            party = out.add(_party(company, role, "wco-dms", noise, registration=True), f"company:{company.key}")
            names.append(party)
        out.add(Declaration(
            id=make_id("declaration", "WCO", declaration.lrn, names[2].id), source_format="wco-dms",
            reference=declaration.lrn, importer_id=names[0].id, exporter_id=names[1].id, declarant_id=names[2].id,
            importer_name=names[0].name, exporter_name=names[1].name, declarant_name=names[2].name,
            transport_document=declaration.transport_document, containers=list(declaration.containers),
        ), f"consignment:{declaration.transport_document}")


def _namesakes(out: LabelledRecords, world: World, noise: _Noise, rng: random.Random) -> Iterator[tuple[str, str]]:
    """Pairs of different people with one name on one flight (other bookings, other passports)."""
    flights = sorted(world.arrivals(), key=lambda f: f.key)
    for i in range(min(12, len(flights) * 2)):
        flight = flights[i % len(flights)]
        base = sorted(world.people.values(), key=lambda p: p.key)[rng.randrange(len(world.people))]
        twins = []
        for j in range(2):
            other = replace(base, key=f"namesake-{i}-{j}", passport=ids.passport_number(rng, base.passport_country),
                            date_of_birth=base.date_of_birth - timedelta(days=rng.randrange(400, 9000) * (j + 1)),
                            phone=ids.mobile_number(rng, base.nationality), email=f"namesake{i}{j}@mail-example.com")
            locator = f"NS{i:02d}{j}X"
            api = out.add(_api_passenger(other, flight, locator, noise), f"person:{other.key}")
            pnr = out.add(_pnr_passenger(other, [flight], locator, (other.phone, other.email), 0, noise),
                          f"person:{other.key}")
            twins.append((api.id, pnr.id))
        for left in twins[0]:
            for right in twins[1]:
                yield left, right


def _relatives(out: LabelledRecords, world: World, noise: _Noise, rng: random.Random) -> Iterator[tuple[str, str]]:
    """Family members on one booking: one surname, address and phone; other given names and birth dates."""
    flights = sorted(world.arrivals(), key=lambda f: f.key)
    families = (("JOHN", "JOAN", "SMITH", "US"), ("ALEXEI", "ALEXANDRA", "IVANOV", "RU"), ("WEI", "WEN", "CHEN", "CN"),
                ("JAN", "JANA", "NOVAK", "DE"), ("MIN-JUN", "MIN-JI", "KIM", "KR"), ("LUCAS", "LUCIA", "MARTIN", "FR"))
    for i, (first, second, surname, country) in enumerate(families):
        flight = flights[i % len(flights)]
        address = world.people[sorted(world.people)[i]].address
        phone, email = ids.mobile_number(rng, country), f"{surname.lower()}.family{i}@mail-example.com"
        locator = f"FAM{i:02d}Q"
        members = []
        for j, (given, gender) in enumerate(((first, "M"), (second, "F"))):
            person = Person(key=f"relative-{i}-{j}", given_names=given, surname=surname, gender=gender,
                            date_of_birth=date(1960 + 7 * j + i, 1 + j, 10 + i), nationality=country,
                            passport=ids.passport_number(rng, country), passport_country=country,
                            passport_expiry=date(2030, 1, 1), phone=phone, email=email, address=address)
            api = out.add(_api_passenger(person, flight, locator, noise), f"person:{person.key}")
            pnr = out.add(_pnr_passenger(person, [flight], locator, (phone, email), j, noise), f"person:{person.key}")
            members.append((api.id, pnr.id))
        for left in members[0]:
            for right in members[1]:
                yield left, right


def labelled_records(world: World, profile: NoiseProfile, seed: int) -> LabelledRecords:
    """The feeds' records of ``world`` distorted by ``profile``, with the truth and the hard negatives."""
    noise = _Noise(profile, seed)
    rng = random.Random(seed * 7919 + 1)
    out = LabelledRecords()
    _travellers(out, world, noise)
    forwarders = [c for key, c in sorted(world.companies.items()) if key.startswith("c-b")]
    shared_by: dict[str, list[str]] = {}
    for index, air in enumerate(world.air):
        forwarder = forwarders[index % len(forwarders)] if forwarders and index % 5 == 0 else None
        _air(out, world, air, noise, forwarder)
        if forwarder is not None:
            shared_by.setdefault(forwarder.key, []).append(air.shipper_key)
    for index, sea in enumerate(world.sea):
        forwarder = forwarders[index % len(forwarders)] if forwarders and index % 5 == 0 else None
        _sea(out, sea, noise, forwarder, world)
        if forwarder is not None:
            shared_by.setdefault(forwarder.key, []).append(sea.shipper_key)
    _declarations(out, world, noise)
    negatives = [(a, b, "namesakes on the same flight") for a, b in _namesakes(out, world, noise, rng)]
    negatives += [(a, b, "relatives sharing address and phone") for a, b in _relatives(out, world, noise, rng)]
    # Forwarders: every party record of two different shippers that carries one forwarder's contacts.
    for forwarder_key, shippers in sorted(shared_by.items()):
        forwarder = world.companies[forwarder_key]
        carrying = [
            r for r in out.records
            if isinstance(r, Party) and out.truth[r.id].removeprefix("company:") in set(shippers)
            and forwarder.phone in r.phones
        ]
        for i, left in enumerate(carrying):
            for right in carrying[i + 1 :]:
                if out.truth[left.id] != out.truth[right.id]:
                    negatives.append((left.id, right.id, f"forwarder {forwarder.name} shared by unrelated shippers"))
    out.hard_negatives = negatives
    return out
