"""Resolution rules: which pairs of records merge, and the reasons they give."""

from __future__ import annotations

from datetime import date

from resolution.profiles import profile_of
from resolution.rules import compare
from schemas.records import Address, Consignment, Declaration, FlightLeg, Party, Passenger, Record, TravelDocument

LEG = "flight_leg-cx500"


def api(name: str, *, number: str = "753912468", born: date | None = date(1979, 3, 14), given: str | None = None,
        surname: str | None = None, gender: str = "M", locator: str | None = None, key: str = "a") -> Passenger:
    return Passenger(
        id=f"passenger-api-{key}", source_format="paxlst", full_name=name, given_names=given, surname=surname,
        date_of_birth=born, gender=gender,
        documents=[TravelDocument(doc_type="P", number=number, issuing_country="RU")],
        flight_leg_ids=[LEG], record_locator=locator,
    )


def pnr(name: str, *, born: date | None = None, documents: list[TravelDocument] | None = None,
        given: str | None = None, surname: str | None = None, locator: str = "QX7P2M",
        phone: str = "+85291234567", key: str = "p") -> Passenger:
    return Passenger(
        id=f"passenger-pnr-{key}", source_format="pnrgov", full_name=name, given_names=given, surname=surname,
        date_of_birth=born, documents=documents or [], record_locator=locator, phones=[phone],
        flight_leg_ids=[LEG, "flight_leg-return"],
    )


def match(a: Record, b: Record) -> tuple[str, str] | None:
    left, right = profile_of(a), profile_of(b)
    assert left is not None and right is not None
    found = compare(left, right)
    back = compare(right, left)
    assert found == back  # one reading of a pair, whichever record came first
    return (found.rule, found.sentence) if found else None


def test_same_passport_and_birth_date_says_so() -> None:
    result = match(api("DMITRI VOLKOV"), pnr("VOLKOV DMITRIY", born=date(1979, 3, 14),
                                              documents=[TravelDocument(doc_type="P", number="753912468",
                                                                        issuing_country="RU")]))
    assert result is not None
    rule, sentence = result
    assert rule == "travel_document"
    assert sentence.startswith("same passport 753912468 RU and date of birth 1979-03-14")


def test_name_variant_with_birth_date_on_the_same_flight() -> None:
    result = match(api("DMITRI VOLKOV"), pnr("WOLKOW DMITRIJ", born=date(1979, 3, 14)))
    assert result is not None and result[0] == "name_birth_date_flight"
    assert "same date of birth 1979-03-14" in result[1]


def test_mistyped_passport_number_merges_with_name_and_birth_date() -> None:
    other = [TravelDocument(doc_type="P", number="753912469", issuing_country="RU")]
    result = match(api("DMITRI VOLKOV"), pnr("DMITRI VOLKOV", born=date(1979, 3, 14), documents=other))
    assert result is not None and result[0] == "travel_document_typo"
    assert "one character apart" in result[1]


def test_missing_birth_date_needs_a_shared_booking_and_a_close_name() -> None:
    result = match(api("DMITRI VOLKOV", locator="QX7P2M"), pnr("DMITRI VOLKOV"))
    assert result is not None and result[0] == "name_flight_contact"
    assert "date of birth missing on one side" in result[1]
    assert match(api("DMITRI VOLKOV"), pnr("DMITRI VOLKOV")) is None  # nothing but the flight: namesakes


def test_namesakes_on_one_flight_do_not_merge() -> None:
    other = [TravelDocument(doc_type="P", number="612004417", issuing_country="RU")]
    assert match(api("DMITRI VOLKOV"), pnr("DMITRI VOLKOV", born=date(1979, 3, 14), documents=other)) is None
    assert match(api("DMITRI VOLKOV"), pnr("DMITRI VOLKOV", born=date(1990, 5, 1))) is None


def test_relatives_sharing_booking_and_phone_do_not_merge() -> None:
    john = api("JOHN SMITH", given="JOHN", surname="SMITH", locator="FAM01Q", born=date(1970, 1, 1))
    joan = pnr("JOAN SMITH", given="JOAN", surname="SMITH", locator="FAM01Q")
    assert match(john, joan) is None


def party(key: str, name: str, *, phone: str | None = None, eori: str | None = None,
          lines: tuple[str, ...] = ("3-5-1 Kaigan",), country: str = "JP") -> Party:
    return Party(
        id=f"party-{key}", source_format="wco-dms", name=name, schema_name="Company",
        address=Address(lines=list(lines), city="Minato-ku", postcode="105-0022", country=country),
        phones=[phone] if phone else [], registration_ids=[eori] if eori else [],
    )


def test_companies_merge_on_registration_or_name_and_contact() -> None:
    by_eori = match(party("a", "PACIFIC RIM PRECISION MACHINERY LTD", eori="JP000123456789"),
                    party("b", "PACIFIC RIM PRECISION MACHINERY LIMITED", eori="JP000123456789", lines=("x",)))
    assert by_eori is not None and by_eori[1].startswith("same registration number JP000123456789")
    by_address = match(party("a", "PACIFIC RIM PRECISION MACHINERY LTD"), party("b", "PACIFIC RIM PRECISION MACH LTD"))
    assert by_address is not None and by_address[0] == "name_contact"
    assert "same address" in by_address[1]


def test_forwarder_contact_shared_by_unrelated_shippers_does_not_merge() -> None:
    forwarder = "+81312345678"
    assert match(party("a", "GOLDEN DRAGON TRADING CO LTD", phone=forwarder, lines=("1 A Road",)),
                 party("b", "SILVER HARBOUR MACHINERY CO LTD", phone=forwarder, lines=("2 B Road",))) is None


def test_two_registration_numbers_are_two_companies() -> None:
    assert match(party("a", "DRAGON JADE TEXTILES KK", eori="JP1111111111"),
                 party("b", "DRAGON JADE TEXTILES KK", eori="JP2222222222")) is None


def test_consignments_merge_on_the_air_waybill_in_any_spelling() -> None:
    fwb = Consignment(id="consignment-fwb", source_format="cargo-imp-fwb", transport_document="160-12345675")
    ffm = Consignment(id="consignment-ffm", source_format="cargo-imp-ffm", transport_document="16012345675")
    declaration = Declaration(id="declaration-wco", source_format="wco-dms", reference="26JP1234567890",
                              transport_document="160 12345675")
    assert match(fwb, ffm) == ("transport_document", "same air waybill 16012345675")
    assert match(fwb, declaration) == ("transport_document", "same air waybill 16012345675")


def test_flight_legs_merge_on_designator_and_day() -> None:
    def leg(key: str, number: str, origin: str = "HKG") -> FlightLeg:
        return FlightLeg(id=f"flight_leg-{key}", source_format="paxlst", carrier="CX", flight_number=number,
                         departure_airport=origin, flight_date=date(2026, 12, 7))

    assert match(leg("a", "500"), leg("b", "0500")) == ("flight_designator", "same flight CX500/2026-12-07 from HKG")
    assert match(leg("a", "500"), leg("b", "500", origin="TPE")) is None  # another leg of that flight number


def test_name_parts_spelt_apart_merge_beside_a_birth_date() -> None:
    # The matcher alone leaves GARCIA / GAKIA unpaired; part by part, beside a date of birth, it is a slip.
    result = match(api("JAMES GARCIA", given="JAMES", surname="GARCIA"),
                   pnr("GAKIA JAMES", given="JAMES", surname="GAKIA", born=date(1979, 3, 14)))
    assert result is not None and result[0] == "name_birth_date_flight"
    assert "surnames 'GARCIA' / 'GAKIA' agree 0.83 (spelling once romanisation is folded)" in result[1]


def test_romanisations_fold_to_one_spelling() -> None:
    # ZHAO / JAO and PRIYA / PRIIA: other romanisations, not other names.
    result = match(api("PRIYA ZHAO", given="PRIYA", surname="ZHAO", locator="QX7P2M"),
                   pnr("JAO PRIIA", given="PRIIA", surname="JAO"))
    assert result is not None and result[0] == "name_flight_contact"
    assert "given names 'PRIYA' / 'PRIIA' agree 1.00" in result[1]


def test_same_passport_needs_one_name_part_only() -> None:
    same = [TravelDocument(doc_type="P", number="753912468", issuing_country="RU")]
    result = match(api("SOO-AH KANG", given="SOO-AH", surname="KANG"),
                   pnr("SUPAH KANG", given="SUPAH", surname="KANG", documents=same))
    assert result is not None and result[0] == "travel_document"
    assert "surnames 'KANG' / 'KANG' agree 1.00" in result[1]
    other = pnr("OLGA PETROVA", given="OLGA", surname="PETROVA", documents=same)
    assert match(api("SOO-AH KANG", given="SOO-AH", surname="KANG"), other) is None


def test_a_moved_character_is_a_mistyped_passport() -> None:
    moved = [TravelDocument(doc_type="P", number="75391246M", issuing_country="RU")]
    result = match(api("DMITRI VOLKOV", number="M75391246"), pnr("DMITRI VOLKOV", born=date(1979, 3, 14),
                                                                 documents=moved))
    assert result is not None and result[0] == "travel_document_typo"
    assert "passport numbers M75391246 / 75391246M RU one character apart" in result[1]


def test_passports_two_slips_apart_do_not_veto_a_birth_date_match() -> None:
    # Both feeds mistyped the number once: no longer a contradiction, not evidence either.
    other = [TravelDocument(doc_type="P", number="753912400", issuing_country="RU")]
    result = match(api("FANG LI", given="FANG", surname="LI", locator="QX7P2M"),
                   pnr("FANG LII", given="FANG", surname="LII", born=date(1979, 3, 14), documents=other))
    assert result is not None and result[0] == "name_birth_date_flight"


def test_given_names_one_slip_apart_on_one_booking_stay_apart_without_a_birth_date() -> None:
    # CHRISTIAN / CHRISTINA SCHNEIDER on one booking: the whole names agree 0.91, and they are two people.
    christian = api("CHRISTIAN SCHNEIDER", given="CHRISTIAN", surname="SCHNEIDER", locator="QX7P2M")
    christina = pnr("CHRISTINA SCHNEIDER", given="CHRISTINA", surname="SCHNEIDER")
    assert match(christian, christina) is None
