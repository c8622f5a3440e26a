// The map on "where is it?" questions. Progressive enhancement over the latitude and longitude fields, which stay
// on the page and are what the form submits: without JavaScript, or if the tiles cannot load, the resident gives a
// postcode and a description instead. Written for this page rather than taken from a map library: the pages have a
// 150 KB budget and a general-purpose library alone is about that size.
//
// Pointer: drag to move, select (click or tap) to mark; without dragging, zoom out, select, zoom in (to the mark).
// Keyboard: arrow keys move, + and - zoom, Enter or Space marks the centre (shown by the crosshair). Each change is
// announced in a live region.

const TILE = 256;
const KEY_STEP = 64; // pixels moved per arrow key press
const DRAG_THRESHOLD = 5; // pixels a pointer may move and still count as a select, not a drag
const DECIMALS = 6; // about 0.1 m

// Web Mercator (EPSG:3857): degrees to "world pixels" at zoom z, and back.
export function project(lat, lng, zoom) {
  const size = TILE * 2 ** zoom;
  const sin = Math.sin((lat * Math.PI) / 180);
  return {
    x: ((lng + 180) / 360) * size,
    y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size,
  };
}

export function unproject(x, y, zoom) {
  const size = TILE * 2 ** zoom;
  const n = Math.PI - (2 * Math.PI * y) / size;
  return { lat: (180 / Math.PI) * Math.atan(Math.sinh(n)), lng: (x / size) * 360 - 180 };
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

class BoroughMap {
  constructor(root) {
    const data = root.dataset;
    this.root = root;
    this.template = data.tiles;
    [this.south, this.west, this.north, this.east] = data.bounds.split(",").map(Number);
    this.minZoom = Number(data.minZoom);
    this.maxZoom = Number(data.maxZoom);
    this.zoom = Number(data.zoom);
    this.viewport = root.querySelector(".borough-map__viewport");
    this.layer = root.querySelector(".borough-map__tiles");
    this.marker = root.querySelector(".borough-map__marker");
    this.status = root.querySelector(".borough-map__status");
    this.buttons = Object.fromEntries(
      [...root.querySelectorAll("[data-map-action]")].map((button) => [button.dataset.mapAction, button]),
    );
    this.latitude = document.getElementById(data.latitudeInput);
    this.longitude = document.getElementById(data.longitudeInput);
    this.images = new Map();
    this.loaded = 0;
    this.failed = 0;
    this.mark = this.fromInputs();
    const [lat, lng] = data.centre.split(",").map(Number);
    const start = this.mark || { lat, lng };
    this.centre = project(start.lat, start.lng, this.zoom);
    root.hidden = false;
    this.listen();
    this.render();
    this.say(this.mark ? this.markedText() : "No place marked on the map yet.");
  }

  listen() {
    const viewport = this.viewport;
    let press = null;
    viewport.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      press = { x: event.clientX, y: event.clientY, lastX: event.clientX, lastY: event.clientY, dragging: false };
      viewport.setPointerCapture(event.pointerId);
    });
    viewport.addEventListener("pointermove", (event) => {
      if (!press) return;
      const moved = Math.hypot(event.clientX - press.x, event.clientY - press.y);
      press.dragging = press.dragging || moved > DRAG_THRESHOLD;
      if (press.dragging) {
        this.moveBy(press.lastX - event.clientX, press.lastY - event.clientY);
        press.lastX = event.clientX;
        press.lastY = event.clientY;
      }
    });
    viewport.addEventListener("pointerup", (event) => {
      if (press && !press.dragging) {
        const box = viewport.getBoundingClientRect(); // includes the border; the map starts inside it
        const { left, top } = this.corner();
        const x = event.clientX - box.left - viewport.clientLeft;
        const y = event.clientY - box.top - viewport.clientTop;
        this.markAt(left + x, top + y);
      }
      press = null;
    });
    viewport.addEventListener("pointercancel", () => {
      press = null;
    });
    viewport.addEventListener("keydown", (event) => this.key(event));
    this.buttons["zoom-in"]?.addEventListener("click", () => this.zoomBy(1));
    this.buttons["zoom-out"]?.addEventListener("click", () => this.zoomBy(-1));
    this.buttons.clear?.addEventListener("click", () => this.clear());
    for (const input of [this.latitude, this.longitude]) {
      input?.addEventListener("change", () => this.followInputs());
    }
    new ResizeObserver(() => this.render()).observe(viewport);
  }

  key(event) {
    const moves = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, -KEY_STEP],
      ArrowDown: [0, KEY_STEP],
    };
    if (moves[event.key]) {
      this.moveBy(...moves[event.key]);
    } else if (event.key === "+" || event.key === "=") {
      this.zoomBy(1);
    } else if (event.key === "-" || event.key === "_") {
      this.zoomBy(-1);
    } else if (event.key === "Enter" || event.key === " ") {
      this.markAt(this.centre.x, this.centre.y);
    } else {
      return;
    }
    event.preventDefault(); // the page must not scroll, nor the form submit, while the map has focus
  }

  // The centre may go anywhere inside the area the map covers, at the current zoom.
  moveBy(dx, dy) {
    const low = project(this.north, this.west, this.zoom);
    const high = project(this.south, this.east, this.zoom);
    this.centre = { x: clamp(this.centre.x + dx, low.x, high.x), y: clamp(this.centre.y + dy, low.y, high.y) };
    this.render();
  }

  // Zooming in goes to the marked place, if there is one: with "Zoom out" and a select, the whole area can be
  // reached without dragging (WCAG 2.5.7), and each zoom in refines the mark.
  zoomBy(step) {
    const zoom = clamp(this.zoom + step, this.minZoom, this.maxZoom);
    if (zoom === this.zoom) {
      this.say(step > 0 ? "The map is zoomed in as far as it goes." : "The map is zoomed out as far as it goes.");
      return;
    }
    const scale = 2 ** (zoom - this.zoom);
    this.zoom = zoom;
    this.centre =
      step > 0 && this.mark
        ? project(this.mark.lat, this.mark.lng, zoom)
        : { x: this.centre.x * scale, y: this.centre.y * scale };
    this.moveBy(0, 0);
    this.say(`Zoom level ${zoom - this.minZoom + 1} of ${this.maxZoom - this.minZoom + 1}.`);
  }

  markAt(x, y) {
    const { lat, lng } = unproject(x, y, this.zoom);
    if (lat < this.south || lat > this.north || lng < this.west || lng > this.east) {
      this.say("That place is outside the area this map covers. Choose a place inside it.");
      return;
    }
    this.mark = { lat, lng };
    this.latitude.value = lat.toFixed(DECIMALS);
    this.longitude.value = lng.toFixed(DECIMALS);
    this.render();
    this.say(this.markedText());
  }

  clear() {
    this.mark = null;
    this.latitude.value = "";
    this.longitude.value = "";
    this.render();
    this.say("The mark is removed. No place marked on the map.");
    this.viewport.focus();
  }

  fromInputs() {
    const lat = Number.parseFloat(this.latitude?.value ?? "");
    const lng = Number.parseFloat(this.longitude?.value ?? "");
    const inside = lat >= this.south && lat <= this.north && lng >= this.west && lng <= this.east;
    return Number.isFinite(lat) && Number.isFinite(lng) && inside ? { lat, lng } : null;
  }

  followInputs() {
    this.mark = this.fromInputs();
    if (this.mark) this.centre = project(this.mark.lat, this.mark.lng, this.zoom);
    this.render();
  }

  markedText() {
    const { lat, lng } = this.mark;
    return `Place marked on the map at latitude ${lat.toFixed(5)}, longitude ${lng.toFixed(5)}.`;
  }

  say(text) {
    this.status.textContent = text;
  }

  corner() {
    return {
      left: this.centre.x - this.viewport.clientWidth / 2,
      top: this.centre.y - this.viewport.clientHeight / 2,
    };
  }

  render() {
    const { left, top } = this.corner();
    const width = this.viewport.clientWidth;
    const height = this.viewport.clientHeight;
    const count = 2 ** this.zoom;
    const wanted = new Set();
    for (let tx = Math.floor(left / TILE); tx <= Math.floor((left + width) / TILE); tx += 1) {
      for (let ty = Math.floor(top / TILE); ty <= Math.floor((top + height) / TILE); ty += 1) {
        if (tx < 0 || ty < 0 || tx >= count || ty >= count) continue;
        const key = `${this.zoom}/${tx}/${ty}`;
        wanted.add(key);
        const image = this.images.get(key) || this.tile(key);
        image.style.transform = `translate(${tx * TILE - left}px, ${ty * TILE - top}px)`;
      }
    }
    for (const [key, image] of this.images) {
      if (!wanted.has(key)) {
        image.remove();
        this.images.delete(key);
      }
    }
    if (this.mark) {
      const at = project(this.mark.lat, this.mark.lng, this.zoom);
      this.marker.style.transform = `translate(${at.x - left}px, ${at.y - top}px)`;
    }
    this.marker.hidden = !this.mark;
    if (this.buttons.clear) this.buttons.clear.hidden = !this.mark;
    // aria-disabled, not disabled: a disabled button loses the keyboard focus it has.
    this.buttons["zoom-in"]?.setAttribute("aria-disabled", String(this.zoom >= this.maxZoom));
    this.buttons["zoom-out"]?.setAttribute("aria-disabled", String(this.zoom <= this.minZoom));
  }

  tile(key) {
    const [z, x, y] = key.split("/");
    const image = new Image(TILE, TILE);
    image.alt = "";
    image.className = "borough-map__tile";
    image.draggable = false;
    image.addEventListener("load", () => {
      this.loaded += 1;
    });
    image.addEventListener("error", () => this.tileFailed());
    image.src = this.template.replace("{z}", z).replace("{x}", x).replace("{y}", y);
    this.layer.append(image);
    this.images.set(key, image);
    return image;
  }

  // No tiles at all (the tile service is down, or its key is not set up): the map goes; the fields stay.
  tileFailed() {
    this.failed += 1;
    if (this.loaded === 0 && this.failed >= 2) this.root.hidden = true;
  }
}

export function initMaps(scope = document) {
  return [...scope.querySelectorAll('[data-module="borough-map"]')].map((root) => new BoroughMap(root));
}
