"""The map on a location question in real Chromium: tiles through the distribution's /map-tiles/* behaviour (the
local tile stand-in), marking by pointer and by keyboard, dragging, under the real Content-Security-Policy, with
axe-core, and the fallback when tiles cannot load."""

from __future__ import annotations

import math
import re

import pytest

from tests.browser.conftest import AXE
from tests.browser.journeys import axe_violations, continue_button

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCATION = "/services/fly-tipping/location"
CENTRE = (51.2724, 0.5218)  # cdk.json: the dev environment's map
ZOOM = 13
TILES_LOADED = """() => {
  const tiles = [...document.querySelectorAll('.borough-map__tile')];
  return tiles.length > 0 && tiles.every((t) => t.complete && t.naturalWidth === 256);
}"""


def _world(lat: float, lng: float, zoom: int) -> tuple[float, float]:
    size = 256 * 2**zoom
    sin = math.sin(math.radians(lat))
    return (lng + 180) / 360 * size, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size


def _degrees(x: float, y: float, zoom: int) -> tuple[float, float]:
    size = 256 * 2**zoom
    lat = math.degrees(math.atan(math.sinh(math.pi - 2 * math.pi * y / size)))
    return lat, x / size * 360 - 180


def _open_map(page) -> None:
    page.goto("/services/fly-tipping/begin")
    page.goto(LOCATION)
    viewport = page.locator(".borough-map__viewport")
    viewport.wait_for(state="visible")
    page.wait_for_function(TILES_LOADED)
    viewport.scroll_into_view_if_needed()  # the mouse works in the window's coordinates


def _marked(page) -> tuple[float, float]:
    return float(page.input_value("#location-latitude")), float(page.input_value("#location-longitude"))


def test_a_place_marked_with_the_pointer_is_submitted_under_the_sites_csp(strict_page):
    page = strict_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _open_map(page)
    assert page.locator("#location-map-status").inner_text() == "No place marked on the map yet."
    box = page.locator(".borough-map__viewport").bounding_box()
    assert box is not None
    # The box includes the 2px border on each side: its centre is still the map's centre.
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 - 30)
    cx, cy = _world(*CENTRE, ZOOM)
    expected = _degrees(cx + 40, cy - 30, ZOOM)
    lat, lng = _marked(page)
    assert math.isclose(lat, expected[0], abs_tol=2e-5)
    assert math.isclose(lng, expected[1], abs_tol=2e-5)
    assert page.locator(".borough-map__marker").is_visible()
    assert page.locator("#location-map-status").inner_text().startswith("Place marked on the map at latitude 51.27")

    # A drag moves the map and marks nothing.
    before = page.locator(".borough-map__tile").first.get_attribute("style")
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 180, box["y"] + 140, steps=8)
    page.mouse.up()
    assert _marked(page) == (lat, lng)
    assert page.locator(".borough-map__tile").first.get_attribute("style") != before

    with page.expect_navigation():
        continue_button(page).click()
    assert not page.url.endswith("/location"), page.content()[:2000]
    # Saved in the draft: back on the page, the map starts from the marked place.
    page.goto(LOCATION)
    page.wait_for_function(TILES_LOADED)
    assert _marked(page) == (lat, lng)
    assert page.locator(".borough-map__marker").is_visible()
    assert page.locator("#location-map-status").inner_text() == (
        f"Place marked on the map at latitude {lat:.5f}, longitude {lng:.5f}."
    )
    assert not errors, errors


def test_the_map_works_by_keyboard_and_the_mark_can_be_removed(strict_page):
    page = strict_page
    _open_map(page)
    page.focus("#location-description")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "location-map"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("+")
    assert "Zoom level" in page.locator("#location-map-status").inner_text()
    page.keyboard.press("Enter")
    cx, cy = _world(*CENTRE, ZOOM)
    expected = _degrees((cx + 128) * 2, (cy + 64) * 2, ZOOM + 1)  # zooming keeps the centre where it is
    lat, lng = _marked(page)
    assert math.isclose(lat, expected[0], abs_tol=2e-5)
    assert math.isclose(lng, expected[1], abs_tol=2e-5)
    assert page.url.endswith(LOCATION)  # Enter marked the place; it did not submit the form
    page.get_by_role("button", name="Remove the mark").click()
    assert _marked_text(page) == ("", "")
    assert page.locator("#location-map-status").inner_text().startswith("The mark is removed")
    assert not page.locator(".borough-map__marker").is_visible()


def test_without_dragging_zoom_in_goes_to_the_mark_and_a_button_at_its_limit_keeps_focus(strict_page):
    page = strict_page
    _open_map(page)
    box = page.locator(".borough-map__viewport").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 90)
    marked = _marked(page)
    zoom_in = page.get_by_role("button", name="Zoom in")
    zoom_in.click()
    # The mark is now at the map's centre (where the crosshair is), one zoom level closer.
    marker = page.locator(".borough-map__marker").bounding_box()
    assert marker is not None
    assert abs(marker["x"] - (box["x"] + box["width"] / 2)) <= 2
    assert abs(marker["y"] - (box["y"] + box["height"] / 2)) <= 2
    assert _marked(page) == marked  # zooming never moves the mark
    for _ in range(2):  # zoom 14 -> 16, the closest (cdk.json's max_zoom)
        assert zoom_in.get_attribute("aria-disabled") == "false"
        zoom_in.click()
    assert zoom_in.get_attribute("aria-disabled") == "true"
    zoom_in.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Zoom in"
    assert page.locator("#location-map-status").inner_text() == "The map is zoomed in as far as it goes."


def _marked_text(page) -> tuple[str, str]:
    return page.input_value("#location-latitude"), page.input_value("#location-longitude")


def test_the_map_page_has_no_axe_violations_with_a_place_marked(page):
    _open_map(page)
    page.focus("#location-map")
    page.keyboard.press("Enter")
    violations = axe_violations(page, str(AXE))
    assert not violations, violations


def test_without_tiles_the_map_removes_itself_and_the_text_fallback_remains(page):
    page.route(re.compile(r".*/map-tiles/.*"), lambda route: route.fulfill(status=503, body="Service Unavailable"))
    page.goto("/services/fly-tipping/begin")
    page.goto(LOCATION)
    page.wait_for_function("() => document.querySelector('.borough-map').hidden === true")
    page.fill("#location-postcode", "ME15 6JQ")
    page.fill("#location-description", "Behind the car park")
    with page.expect_navigation():
        continue_button(page).click()
    assert not page.url.endswith("/location")
