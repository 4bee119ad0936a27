"""UN/EDIFACT writers: PAXLST (D05B, API) and PNRGOV (13.1) messages, as carriers push them.

Segments are built as pydifact ``Segment`` objects and serialised by pydifact's ``Serializer`` (which
escapes the release character and separators). The envelope (UNA/UNB/UNG/UNH ... UNT/UNE/UNZ) and its
counts are computed here: UNT counts the segments from UNH to UNT inclusive, UNE the messages in the
group and UNZ the groups (or messages) in the interchange.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import pycountry
from pydifact.control.characters import Characters
from pydifact.segments import Segment
from pydifact.serializer import Serializer

from scenario.reference import CARRIER_BY_CODE
from scenario.world import Booking, Flight, Person, World

CHARACTERS = Characters.from_str("UNA:+.? '")
_SERIALIZER = Serializer(CHARACTERS)
Element = str | list[str]


def iso3(country: str) -> str:
    found = pycountry.countries.get(alpha_2=country)
    return found.alpha_3 if found is not None else country


def yymmdd(day: date) -> str:
    return f"{day:%y%m%d}"


def ddmmyy(day: date) -> str:
    return f"{day:%d%m%y}"


def ddmonyy(day: date) -> str:
    return f"{day:%d%b%y}".upper()


def clean(text: str) -> str:
    """Upper-case text in the UNOA/UNOB repertoire carriers send (accents and control characters dropped)."""
    return "".join(ch for ch in text.upper() if 32 <= ord(ch) < 127)


def seg(tag: str, *elements: Element) -> Segment:
    """A segment without trailing empty data elements (senders omit them)."""
    trimmed = list(elements)
    while trimmed and trimmed[-1] in ("", []):
        trimmed.pop()
    if not trimmed:
        with warnings.catch_warnings():  # an empty segment (PNRGOV SRC) is legal; pydifact warns about it
            warnings.simplefilter("ignore", SyntaxWarning)
            return Segment(tag)
    return Segment(tag, *trimmed)


def interchange(
    body: Sequence[Segment], *, syntax: list[str], sender: str, recipient: str, prepared: datetime, reference: str,
    message_ref: str, message_type: list[str], group: tuple[str, list[str]] | None = None,
    extra_unh: Iterable[Element] = (),
) -> str:
    """Wrap one message body in UNB/[UNG]/UNH ... UNT/[UNE]/UNZ with correct counts and serialise it."""
    stamp = [f"{prepared:%y%m%d}", f"{prepared:%H%M}"]
    segments: list[Segment] = [seg("UNB", syntax, sender, recipient, stamp, reference)]
    if group is not None:
        group_type, version = group
        segments.append(seg("UNG", group_type, sender, recipient, stamp, reference, "UN", version))
    message = [seg("UNH", message_ref, message_type, *extra_unh), *body]
    message.append(seg("UNT", str(len(message) + 1), message_ref))
    segments.extend(message)
    if group is not None:
        segments.append(seg("UNE", "1", reference))
    segments.append(seg("UNZ", "1", reference))
    return _SERIALIZER.serialize(segments, with_una_header=True, break_lines=True)


def _stamp(moment: datetime) -> str:
    return f"{moment:%y%m%d%H%M}"


def paxlst(world: World, flight: Flight, people: Sequence[Person], locators: dict[str, str],
           reference: str) -> str:
    """One PAXLST passenger list (BGM 745) for a flight arriving in Japan."""
    body: list[Segment] = [
        seg("BGM", "745"),
        seg("RFF", ["TN", f"{flight.designator}{flight.departure:%y%m%d}"]),
        seg("NAD", "MS", "", "", f"{flight.carrier} API DESK"),
        seg("COM", ["81-3-5757-8000", "TE"]),
        seg("TDT", "20", flight.designator, "", "", flight.carrier),
        seg("LOC", "125", flight.origin), seg("DTM", ["189", _stamp(flight.departure), "201"]),
        seg("LOC", "87", flight.destination), seg("DTM", ["232", _stamp(flight.arrival), "201"]),
    ]
    for person in people:
        body += [
            seg("NAD", "FL", "", "", [clean(person.surname), clean(person.given_names)]),
            seg("ATT", "2", "", person.gender),
            seg("DTM", ["329", yymmdd(person.date_of_birth)]),
            seg("LOC", "178", flight.origin),
            seg("LOC", "179", flight.destination),
            seg("NAT", "2", iso3(person.nationality)),
            seg("RFF", ["AVF", locators[person.key]]),
            seg("DOC", ["P", "110", "111"], person.passport),
            seg("DTM", ["36", yymmdd(person.passport_expiry)]),
            seg("LOC", "91", iso3(person.passport_country)),
        ]
    body.append(seg("CNT", ["42", str(len(people))]))
    return interchange(
        body, syntax=["UNOA", "4"], sender=f"{flight.carrier}APIS", recipient="JPCUSTOMS",
        prepared=flight.departure, reference=reference, message_ref=reference,
        message_type=["PAXLST", "D", "05B", "UN", "IATA"], group=("PAXLST", ["D", "05B"]),
        extra_unh=[f"{flight.designator}/{flight.departure:%y%m%d}"],
    )


def pnr_email(email: str) -> str:
    """E-mail as PNR free text writes it: ``@`` as ``//`` and ``_`` as ``..``."""
    return clean(email).replace("@", "//").replace("_", "..")


def _tvl(flight: Flight) -> Segment:
    return seg("TVL", [ddmmyy(flight.departure), f"{flight.departure:%H%M}", ddmmyy(flight.arrival),
                       f"{flight.arrival:%H%M}"], flight.origin, flight.destination, flight.carrier,
               [flight.number, "Y"])


def _tif(person: Person, number: int) -> Segment:
    """Traveller: surname, then given names with the title appended as reservation systems print it."""
    title = "MR" if person.gender == "M" else "MS"
    return seg("TIF", clean(person.surname), [clean(person.given_names) + title, "A", str(number)])


def _pnr(world: World, booking: Booking) -> list[Segment]:
    people = [world.people[key] for key in booking.passenger_keys]
    legs = [world.flights[key] for key in booking.flight_keys]
    if booking.return_flight_key is not None:
        legs.append(world.flights[booking.return_flight_key])
    created = booking.created_at
    lead = people[0]
    segments: list[Segment] = [
        seg("SRC"),
        seg("RCI", [booking.carrier, booking.locator, "", ddmmyy(created), f"{created:%H%M}"]),
        seg("DAT", ["700", ddmmyy(created), f"{created:%H%M}"]),
        *[seg("IFT", ["4", "28", "", booking.carrier], f"CTCM {phone}") for phone in booking.contact_phones],
        *[seg("IFT", ["4", "28", "", booking.carrier], f"CTCE {pnr_email(email)}")
          for email in booking.contact_emails],
        seg("ORG", [booking.carrier, legs[0].origin], [booking.agency, legs[0].origin], "", "", "A",
            [lead.address.country, booking.currency]),
        seg("ADD", "", ["702", clean(" ".join(lead.address.lines)), clean(lead.address.city), "", "",
                        lead.address.country, lead.address.postcode or "", lead.phone]),
    ]
    share = round(booking.amount / len(people), 2)
    ticket_prefix = CARRIER_BY_CODE[booking.carrier].awb_prefix  # the airline accounting code
    for number, person in enumerate(people, 1):
        docs = (f"/P/{iso3(person.passport_country)}/{person.passport}/{iso3(person.nationality)}/"
                f"{ddmonyy(person.date_of_birth)}/{person.gender}/{ddmonyy(person.passport_expiry)}/"
                f"{clean(person.surname)}/{clean(person.given_names)}")
        payment = (["CA", "", f"{share:.2f}"] if booking.form_of_payment == "CA" else
                   ["CC", "", f"{share:.2f}", booking.card_type or "", booking.card_number or "", "1228"])
        segments += [
            _tif(person, number),
            seg("SSR", ["DOCS", "HK", "1", booking.carrier, "", "", "", "", docs]),
            seg("TKT", [f"{ticket_prefix}{hash_text(booking.locator, number):010d}", "T", "1"]),
            seg("MON", ["T", f"{share:.2f}", booking.currency]),
            seg("DAT", ["710", ddmmyy(created), f"{created:%H%M}"]),
            seg("FOP", payment),
            seg("IFT", ["4", "43"], clean(booking.payer_name), clean(booking.payer_address),
                booking.payer_phone.lstrip("+")),
        ]
    for leg in legs:
        segments += [_tvl(leg),
                     seg("RPI", str(len(people)), "HK"), seg("APD", leg.aircraft)]
        for number, person in enumerate(people, 1):
            segments += [seg("TRI", "", [str(number), "", "", str(number)]),
                         _tif(person, number),
                         seg("SSD", f"{10 + number}{'ABCDEFGHJK'[number % 10]}", "", "", "", "Y")]
    return segments


def hash_text(text: str, salt: int) -> int:
    """A stable small number from text (Python's ``hash`` is salted per process)."""
    value = salt
    for ch in text:
        value = (value * 131 + ord(ch)) % 10**10
    return value


def pnrgov(world: World, flight: Flight, bookings: Sequence[Booking], reference: str) -> str:
    """One PNRGOV push for a flight arriving in Japan, with every PNR that holds a seat on it."""
    body: list[Segment] = [
        seg("MSG", ["", "22"]),
        seg("ORG", [flight.carrier, flight.origin], "", "", "", "", "A"),
        _tvl(flight),
        seg("EQN", str(len(bookings))),
    ]
    for booking in bookings:
        body += _pnr(world, booking)
    return interchange(
        body, syntax=["IATA", "1"], sender=flight.carrier, recipient="JPCUSTOMS", prepared=flight.departure,
        reference=reference, message_ref="1", message_type=["PNRGOV", "13", "1", "IA"], extra_unh=[reference],
    )
