"""The web's address lookup by postcode (OS Places): `shared.addresses`, where it moved so that the staff console
finds a household's permits by postcode with the same client. These names are the web's as they were."""

from shared.addresses import (
    ADDRESS_FIELDS,
    DEFAULT_BASE_URL,
    KEY_RETRY_SECONDS,
    MAX_ADDRESSES,
    POSTCODE_PATH,
    TIMEOUT_SECONDS,
    UPRN_MAX_DIGITS,
    WORST_CASE_SECONDS,
    Address,
    AddressLookup,
    AddressLookupFailed,
    OsPlacesLookup,
    SecretKey,
    address_from_dpa,
    configured_lookup,
    title_case,
)

__all__ = [
    "ADDRESS_FIELDS",
    "DEFAULT_BASE_URL",
    "KEY_RETRY_SECONDS",
    "MAX_ADDRESSES",
    "POSTCODE_PATH",
    "TIMEOUT_SECONDS",
    "UPRN_MAX_DIGITS",
    "WORST_CASE_SECONDS",
    "Address",
    "AddressLookup",
    "AddressLookupFailed",
    "OsPlacesLookup",
    "SecretKey",
    "address_from_dpa",
    "configured_lookup",
    "title_case",
]
