"""The shipped zones file, and a fresh copy of its data to break in tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from permits.zones import ZONES_FILE, ZonesFile, load_zones

_DATA = yaml.safe_load(ZONES_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def zones() -> ZonesFile:
    return load_zones()


@pytest.fixture
def zones_data() -> dict[str, Any]:
    return copy.deepcopy(_DATA)
