"""PNRGOV parser on the real samples: bookings, travellers, itineraries, codeshares, data protection."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from feeds import MessageContext, parse_message, pnrgov
from feeds.base import ParseError
from schemas.records import Booking, FlightLeg, Passenger, Record, Rejection

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds" / "pnrgov"


def parse(name: str) -> list[Record]:
    return pnrgov.parse((FEEDS / name).read_bytes(), MessageContext(source=name))


def bookings(records: list[Record]) -> list[Booking]:
    return [r for r in records if isinstance(r, Booking)]


def people(records: list[Record]) -> list[Passenger]:
    return [r for r in records if isinstance(r, Passenger)]


def legs(records: list[Record]) -> list[FlightLeg]:
    return [r for r in records if isinstance(r, FlightLeg)]


COUNTS = {  # file: (bookings, passengers, infants, flight legs) read from the messages by hand
    "2_pnrs_basic.edi": (2, 4, 0, 2),
    "adult_and_infant.edi": (1, 2, 1, 4),
    "bigMessagePnr.edi": (1, 7, 0, 3),
    "codeshare.edi": (2, 2, 0, 3),
    "multiple_flight_leg_pnr.edi": (1, 2, 0, 4),
    "no_pnr_history.edi": (3, 4, 0, 2),
    "pnr1.edi": (1, 2, 0, 2),
    "pnr2.edi": (1, 2, 0, 2),
    "pnr3.edi": (1, 4, 0, 3),
    "pnrAddressPhoneCTCM.edi": (1, 1, 0, 1),
    "pnrEdge.edi": (1, 1, 0, 1),
    "pnrMessage.edi": (1, 2, 0, 2),
    "pnrMessageExample.edi": (1, 5, 0, 3),
    # Three segments end in a curly quote (U+2019); read as terminators, the codeshare legs they hid appear.
    "pnrMessagePg75.edi": (2, 2, 0, 3),
    "pnrPhoneCTCM.edi": (1, 1, 0, 1),
    "pnrSeatFormats.edi": (1, 1, 0, 2),
    "pnrWithDoco.edi": (1, 1, 0, 3),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_per_sample(name: str) -> None:
    records = parse(name)
    expected = COUNTS[name]
    travellers = people(records)
    assert (
        len(bookings(records)),
        len(travellers),
        sum(p.role == "infant" for p in travellers),
        len(legs(records)),
    ) == expected
    assert len({r.id for r in records}) == len(records)
    for booking in bookings(records):
        assert set(booking.passenger_ids) <= {p.id for p in travellers}
        assert set(booking.flight_leg_ids) <= {leg.id for leg in legs(records)}


@pytest.mark.parametrize(("name", "reason"), [("danglingMetaCharacter.edi", "edifact.service_characters")])
def test_malformed_samples_become_rejections(name: str, reason: str) -> None:
    payload = (FEEDS / name).read_bytes()
    with pytest.raises(ParseError) as caught:
        pnrgov.parse(payload, MessageContext(source=name))
    assert caught.value.reason == reason
    (rejection,) = parse_message(payload, MessageContext(source=name))
    assert isinstance(rejection, Rejection)
    assert rejection.reason == reason and rejection.source == name and rejection.detail
    assert rejection.raw_size == len(payload)


def test_basic_booking_fields() -> None:
    records = parse("pnr1.edi")
    (booking,) = bookings(records)
    assert (booking.record_locator, booking.carrier) == ("MFN4TI", "DL")
    assert booking.route == ["LHR", "JFK", "YVR"] and booking.one_way is True
    assert booking.form_of_payment == "CC" and booking.payment_card == "VI XXXXXXXX1186"
    assert booking.payment_amount == pytest.approx(5915.88) and booking.payment_currency == "GBP"
    assert booking.travel_agency == "52519950"
    assert "00441753637285" in booking.phones and "00115555555555" in booking.phones
    assert booking.addresses[0].lines == ["45 HIGHSTREET"] and booking.addresses[0].country == "GB"
    assert booking.remarks == ["THIS PASSENGER IS A VIP"]
    smith, jones = people(records)
    assert (smith.surname, smith.given_names, smith.gender, smith.nationality) == (
        "SMITHJR",
        "JOHN",
        "M",
        "GB",
    )
    assert smith.date_of_birth == date(1964, 7, 12)
    assert [(d.doc_type, d.number, d.issuing_country, d.expiry_date) for d in smith.documents] == [
        ("P", "123456789", "GB", date(2019, 8, 23))
    ]
    assert smith.seat == "15A" and jones.seat == "15B"
    assert {i.scheme: i.value for i in smith.identifiers} == {
        "frequent_flyer": "DL1234567890",
        "ticket": "0062120234533",
    }
    assert jones.documents == [] and jones.date_of_birth == date(1964, 7, 12)
    assert smith.booking_id == booking.id and smith.flight_leg_ids == booking.flight_leg_ids


def test_line_wrapped_and_single_line_forms_give_the_same_records() -> None:
    wrapped, single = parse("pnr1.edi"), parse("pnrMessage.edi")
    assert [r.id for r in wrapped] == [r.id for r in single]
    assert people(wrapped)[0].documents == people(single)[0].documents


def test_sensitive_ssrs_are_removed_and_counted() -> None:
    records = parse("2_pnrs_basic.edi")
    first, second = bookings(records)
    assert first.sensitive_removed == 5  # AVML: once in the PNR, four times in its history
    assert second.sensitive_removed == 0
    dumped = json.dumps([r.model_dump(mode="json") for r in records])
    assert "AVML" not in dumped


def test_synthetic_sensitive_categories() -> None:
    payload = (
        b"UNB+IATA:1+XX++240101:1200+1'UNH+1+PNRGOV:13:1:IA+1'MSG+:22'ORG+XX'"
        b"TVL+020124:1000:020124:1300+LHR+JFK+XX+100'EQN+1'SRC'RCI+XX:ABC123'"
        b"SSR+MOML:HK:1:XX'SSR+WCHR:HK:1:XX'IFT+4:28::XX+PAX NEEDS WHEELCHAIR AT GATE'"
        b"IFT+4:28::XX+CTCE JANE..DOE//EXAMPLE.COM'TIF+DOE+JANEMRS:A:1'SSR+KSML:HK:1:XX+::1'"
        b"SSR+DOCS:HK::XX:::::/P/GBR/X1234567/GBR/01JAN80/F/01JAN30/DOE/JANE'"
        b"TVL+020124:1000:020124:1300+LHR+JFK+XX+100:Y'SSR+MEDA:HK:1:XX'UNT+10+1'UNZ+1+1'"
    )
    records = pnrgov.parse(payload, MessageContext(source="synthetic"))
    (booking,) = bookings(records)
    assert booking.sensitive_removed == 5
    assert booking.emails == ["jane_doe@example.com"]
    (jane,) = people(records)
    assert jane.given_names == "JANE" and jane.documents[0].number == "X1234567"
    dumped = json.dumps([r.model_dump(mode="json") for r in records]).upper()
    for word in ("MOML", "WCHR", "KSML", "MEDA", "WHEELCHAIR"):
        assert word not in dumped


def test_infant_gets_own_record_and_document() -> None:
    records = parse("adult_and_infant.edi")
    adult, infant = people(records)
    assert (adult.role, adult.surname, adult.given_names, adult.gender) == (
        "passenger",
        "TESTSURNAMEONE",
        "TESTNAMEONE",
        "F",
    )
    assert [d.number for d in adult.documents] == ["52263000"]
    assert (infant.role, infant.surname, infant.date_of_birth) == (
        "infant",
        "TESTSURNAMETWO",
        date(2011, 8, 10),
    )
    assert [(d.number, d.issuing_country) for d in infant.documents] == [("AO234000", "CO")]
    (booking,) = bookings(records)
    assert booking.route == ["BOG", "MEX", "CUN", "BOG"] and booking.one_way is False
    assert "AM INF" in booking.remarks


def test_codeshare_operating_and_marketing_flights() -> None:
    records = parse("multiple_flight_leg_pnr.edi")
    codeshares = [leg for leg in legs(records) if leg.marketing_carrier]
    assert sorted(
        (leg.carrier, leg.flight_number, leg.marketing_carrier, leg.marketing_flight_number) for leg in codeshares
    ) == [("LH", "624", "UA", "8749"), ("LH", "625", "UA", "8750")]
    (booking,) = bookings(records)
    assert booking.route == ["IAD", "FRA", "KWI", "FRA", "IAD"] and booking.one_way is False
    assert booking.form_of_payment == "CA" and booking.payment_amount == 900.0
    first, second = people(records)
    assert (first.seat, second.seat) == ("26K", "43E")  # seats on the flight the message is pushed for
    assert first.bag_count == 1


def test_codeshare_sample_and_gds_locators() -> None:
    records = parse("codeshare.edi")  # five-character UNA advice and the release character '\'
    first, second = bookings(records)
    assert (first.record_locator, first.carrier) == ("EDP2RW", "KE")
    assert first.created_at == datetime(2013, 5, 20, 4, 39)
    assert (second.record_locator, second.carrier) == ("2OX5VV", "OZ")
    park, kim = people(records)
    assert (park.surname, park.given_names, park.seat, park.bag_count) == ("PARK", "SEJOON", "39G", 2)
    assert [d.number for d in park.documents] == ["JR3364288"]  # DOCS repeated in the itinerary: one document
    assert (kim.given_names, kim.seat, kim.nationality) == ("KONG CHUN", "14A", "KR")
    marketed = {leg.marketing_carrier for leg in legs(records)}
    assert {"KE", "OZ"} <= marketed


def test_big_message_payments_bags_and_contacts() -> None:
    records = parse("bigMessagePnr.edi")
    (booking,) = bookings(records)
    assert booking.form_of_payment == "CC,CA"
    assert booking.payment_amount == 1100.0 and booking.payment_currency == "GBP"
    assert booking.payment_card == "VI XXXXXXXXXXXX2786"
    assert booking.route == ["WDH", "ADD", "FRA", "IAD"]
    assert len(booking.emails) == 7 and "lucy_slocombe@gmail.com" in booking.emails
    travellers = people(records)
    assert [p.bag_count for p in travellers] == [2, 1, 1, 1, 1, 4, 1]
    assert [p.seat for p in travellers] == ["38E", "39G", "40B", "20J", "2H", "8D", None]
    assert travellers[0].emails == ["lorelei.holcombe@hotmail.com"]


def test_contacts_doco_and_seat_formats() -> None:
    (ctcm,) = people(parse("pnrPhoneCTCM.edi"))
    assert ctcm.phones == ["123456789"] and ctcm.emails == ["molly_louunt+50bb@gmail.com"]
    (address_booking,) = bookings(parse("pnrAddressPhoneCTCM.edi"))
    assert "5432109876" in address_booking.phones
    (doco,) = people(parse("pnrWithDoco.edi"))
    assert [(d.doc_type, d.number) for d in doco.documents] == [("P", "602120901"), ("V", "8675309")]
    (seated,) = people(parse("pnrSeatFormats.edi"))
    assert seated.seat == "36K"


def test_history_is_not_kept_and_no_pnr_history_sample() -> None:
    records = parse("no_pnr_history.edi")
    assert [b.record_locator for b in bookings(records)] == ["P46KA5", "33O6DK", "35K2IO"]
    assert [p.surname for p in people(records)] == ["JACKS", "CARRERA", "DORON", "LENDROT"]
    (history_sample,) = bookings(parse("pnr2.edi"))
    assert len(history_sample.passenger_ids) == 2  # the TIFs in the SAC history are not travellers


def test_ids_are_deterministic() -> None:
    payload = (FEEDS / "bigMessagePnr.edi").read_bytes()
    once = [r.id for r in pnrgov.parse(payload, MessageContext(source="a"))]
    twice = [r.id for r in pnrgov.parse(payload, MessageContext(source="b", received_at=datetime(2031, 1, 1)))]
    assert once == twice


def test_full_card_numbers_are_masked() -> None:
    payload = (
        b"UNB+IATA:1+XX++240101:1200+1'UNH+1+PNRGOV:13:1:IA+1'TVL+020124:1000+LHR+JFK+XX+100'SRC'"
        b"RCI+XX:ABC123'TIF+DOE+JOHN:A:1'FOP+CC::10.00:VI:4111111111111111:1225'UNT+5+1'UNZ+1+1'"
    )
    (booking,) = bookings(pnrgov.parse(payload, MessageContext(source="x")))
    assert booking.payment_card == "VI XXXXXXXXXXXX1111"


def test_same_flight_has_the_same_leg_id_in_api_and_pnr() -> None:
    from feeds import paxlst

    api = (FEEDS.parent / "paxlst" / "test1.edi").read_text("utf-8")
    api = api.replace("UA0989", "UA0988").replace("DTM+189:1701271725:201", "DTM+189:1809281220:201")
    (api_leg,) = legs(paxlst.parse(api.encode(), MessageContext(source="api")))
    pnr_legs = legs(parse("pnrPhoneCTCM.edi"))  # pushed for UA 988 FRA-IAD on 28 September 2018
    assert api_leg.id in {leg.id for leg in pnr_legs}
