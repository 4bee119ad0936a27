"""Customs identifier recognisers: check digits, normal forms, free text and the record stage."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso6346

from enrichment.identifiers import (
    air_waybill,
    container_number,
    email_address,
    extract_identifiers,
    find_in_text,
    hs_code,
    iban,
    imo_number,
    mrz_check_digit,
    parse_mrz_td3,
    phone_number,
)
from schemas.records import Booking, Consignment, GoodsItem, Identifier, Passenger, TravelDocument

ICAO_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("CSQU3054383", "CSQU3054383", True),
        ("csqu 305438 3", "CSQU3054383", True),
        ("CSQU3054384", "CSQU3054384", False),
    ],
)
def test_container_numbers(raw: str, value: str, valid: bool) -> None:
    ident = container_number(raw)
    assert ident is not None and (ident.scheme, ident.value, ident.valid) == ("container", value, valid)


def test_container_shape_is_required() -> None:
    assert container_number("CSQ3054383") is None
    assert container_number("CSQA3054383") is None  # category must be U, J or Z


@pytest.mark.parametrize(("raw", "valid"), [("IMO 9074729", True), ("9074729", True), ("IMO9074728", False)])
def test_imo_numbers(raw: str, valid: bool) -> None:
    ident = imo_number(raw)
    assert ident is not None and ident.valid is valid and ident.value == raw[-7:]


def test_imo_needs_seven_digits() -> None:
    assert imo_number("IMO 907472") is None


@pytest.mark.parametrize(
    ("raw", "valid"), [("020-12345675", True), ("02012345675", True), ("020 1234 5675", True), ("020-12345676", False)]
)
def test_air_waybills_mod7(raw: str, valid: bool) -> None:
    ident = air_waybill(raw)
    assert ident is not None and ident.value == "020-12345675"[:4] + ident.value[4:] and ident.valid is valid


def test_air_waybill_shape() -> None:
    assert air_waybill("020-1234567") is None
    assert air_waybill("MSCUB/L123") is None


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("8471.30", "847130", True),
        ("0101", "0101", True),
        ("8471300000", "8471300000", True),
        ("7712", "7712", False),
        ("9903", "9903", False),
        ("0012", "0012", False),
    ],
)
def test_hs_codes(raw: str, value: str, valid: bool) -> None:
    ident = hs_code(raw)
    assert ident is not None and (ident.value, ident.valid) == (value, valid)


@pytest.mark.parametrize("raw", ["84713", "847", "8471.3"])
def test_hs_code_shape(raw: str) -> None:
    assert hs_code(raw) is None


def test_ibans() -> None:
    good = iban("GB82 WEST 1234 5698 7654 32")
    bad = iban("GB82 WEST 1234 5698 7654 33")
    assert good is not None and good.value == "GB82WEST12345698765432" and good.valid
    assert bad is not None and not bad.valid
    assert iban("not an iban") is None


def test_phones_become_e164() -> None:
    national = phone_number("(202) 555-0143", "US")
    international = phone_number("+44 20 7946 0958", "US")
    assert national is not None and national.value == "+12025550143"
    assert international is not None and international.value == "+442079460958" and international.valid
    assert phone_number("call me", "US") is None
    short = phone_number("12", "US")
    assert short is None or not short.valid


def test_emails() -> None:
    ident = email_address("<Foo.Bar@Example.COM>")
    assert ident is not None and ident.value == "foo.bar@example.com"
    assert email_address("foo@bar") is None


def test_mrz_td3_check_digits() -> None:
    mrz = parse_mrz_td3(*ICAO_MRZ)
    assert mrz is not None and mrz.valid
    assert (mrz.document_number, mrz.issuing_state, mrz.surname, mrz.given_names) == (
        "L898902C3",
        "UTO",
        "ERIKSSON",
        "ANNA MARIA",
    )
    tampered = parse_mrz_td3(ICAO_MRZ[0], ICAO_MRZ[1].replace("7408122", "7408132"))
    assert tampered is not None and not tampered.valid
    assert not tampered.checks["date_of_birth"] and not tampered.checks["composite"]
    assert parse_mrz_td3("P<UTO", ICAO_MRZ[1]) is None


def test_mrz_check_digit_known_values() -> None:
    assert mrz_check_digit("L898902C3") == 6
    assert mrz_check_digit("740812") == 2
    assert mrz_check_digit("120415") == 9


@given(
    st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    st.sampled_from("UJZ"),
    st.integers(min_value=0, max_value=999_999),
)
def test_every_computed_container_check_digit_validates(owner: str, category: str, serial: int) -> None:
    base = f"{owner}{category}{serial:06d}"
    number = base + str(iso6346.calc_check_digit(base))
    ident = container_number(number)
    assert ident is not None and ident.valid


@given(st.integers(min_value=100, max_value=999), st.integers(min_value=0, max_value=9_999_999))
def test_every_mod7_waybill_validates_and_others_do_not(prefix: int, serial: int) -> None:
    good = air_waybill(f"{prefix}-{serial:07d}{serial % 7}")
    bad = air_waybill(f"{prefix}-{serial:07d}{(serial % 7 + 1) % 10}")
    assert good is not None and good.valid
    assert bad is not None and not bad.valid


@given(st.text(max_size=300))
def test_free_text_never_crashes(text: str) -> None:
    for found in find_in_text(text, "US"):
        assert 0 <= found.start <= found.end <= len(text)


def test_free_text_finds_each_kind_with_offsets() -> None:
    text = (
        "Container CSQU3054383 on vessel IMO 9074729, AWB 020-12345675, HS code 8471.30. "
        "Pay GB82 WEST 1234 5698 7654 32, call +44 20 7946 0958 or mail Ops@Example.com.\n" + "\n".join(ICAO_MRZ)
    )
    found = {(f.identifier.scheme, f.identifier.value) for f in find_in_text(text, "US")}
    assert found >= {
        ("container", "CSQU3054383"),
        ("imo", "9074729"),
        ("awb", "020-12345675"),
        ("hs_code", "847130"),
        ("iban", "GB82WEST12345698765432"),
        ("phone", "+442079460958"),
        ("email", "ops@example.com"),
        ("passport", "L898902C3"),
    }
    # The IBAN's digits are not read again as a phone number.
    assert all(not value.startswith("+8") for scheme, value in found if scheme == "phone")
    first = find_in_text(text, "US")[0]
    assert text[first.start : first.end].startswith("CSQU")


def test_free_text_keeps_only_valid_identifiers() -> None:
    found = find_in_text("container CSQU3054384, IMO 9074728, AWB 020-12345676", "US")
    assert [f.identifier.scheme for f in found] == []


def test_eleven_digits_without_waybill_context_are_not_a_waybill() -> None:
    found = find_in_text("invoice 020-12345675 paid", "US")
    assert all(f.identifier.scheme != "awb" for f in found)


def test_extract_identifiers_from_a_consignment() -> None:
    record = Consignment(
        id="consignment-1",
        source_format="test",
        transport_document="020-12345675",
        transport_mode="air",
        vessel_imo="IMO 9074729",
        containers=["CSQU3054383", "CSQU3054384"],
        goods=[GoodsItem(hs_code="847130", description="laptops, tariff code 8471.30, shipper tel +44 20 7946 0958")],
    )
    enriched = extract_identifiers(record, "US")
    got = {(i.scheme, i.value, i.valid, i.source_field) for i in enriched.identifiers}
    assert ("awb", "020-12345675", True, "transport_document") in got
    assert ("imo", "9074729", True, "vessel_imo") in got
    assert ("container", "CSQU3054383", True, "containers") in got
    assert ("container", "CSQU3054384", False, "containers") in got  # a structured field keeps bad values
    assert ("hs_code", "847130", True, "goods[0].hs_code") in got
    assert ("phone", "+442079460958", True, "goods[0].description") in got
    assert record.identifiers == []  # the input is not changed
    assert extract_identifiers(enriched, "US") == enriched  # idempotent


def test_extract_identifiers_from_people_and_bookings() -> None:
    passenger = Passenger(
        id="passenger-1",
        source_format="test",
        full_name="Anna Maria Eriksson",
        date_of_birth=date(1974, 8, 12),
        documents=[TravelDocument(doc_type="P", number="L898902C3", issuing_country="SE")],
        phones=["(202) 555-0143"],
        emails=["Anna@Example.org"],
    )
    got = {(i.scheme, i.value) for i in extract_identifiers(passenger, "US").identifiers}
    assert got >= {("passport", "L898902C3"), ("phone", "+12025550143"), ("email", "anna@example.org")}

    booking = Booking(
        id="booking-1",
        source_format="test",
        record_locator="ABC123",
        phones=["020 7946 0958"],
        remarks=["CTC pax mobile 07911 123456, docs scanned:\n" + "\n".join(ICAO_MRZ)],
    )
    got = {(i.scheme, i.value) for i in extract_identifiers(booking, "GB").identifiers}
    assert ("phone", "+442079460958") in got and ("phone", "+447911123456") in got
    assert ("passport", "L898902C3") in got and ("mrz", ICAO_MRZ[1]) in got


def test_existing_identifiers_are_kept() -> None:
    earlier = Identifier(scheme="eori", value="GB123456789000")
    record = Consignment(id="c", source_format="test", transport_document="X", identifiers=[earlier])
    assert extract_identifiers(record, "US").identifiers[0] == earlier
