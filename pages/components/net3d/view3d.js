// The network in 3D with three.js: every unit of every plane a square tile coloured by its value,
// the plane names and class names, the lines into the hovered or selected unit, camera presets.
// What it draws comes from lenet_core/present/view_spec.py (planes, where each unit sits, colour
// rules, colour tables, presets and labels); the values come from the page (the browser's own
// forward pass, or the server's). One draw call a plane: tiles are GL points, squares facing the
// camera, so 20,000 units recolour and redraw within a frame in software WebGL.

import * as THREE from "three";
import {OrbitControls} from "three/addons/controls/OrbitControls.js";
import {LineSegments2} from "three/addons/lines/LineSegments2.js";
import {LineSegmentsGeometry} from "three/addons/lines/LineSegmentsGeometry.js";
import {LineMaterial} from "three/addons/lines/LineMaterial.js";

const BACKGROUND = 0xfafafa;
const SELECTED = [1.0, 0.55, 0.0];  // the selected unit's frame: orange, in no colour scale
const THICK = 3;  // px: the five strongest lines
const CLICK_SLOP = 4;  // px a press may move and still be a click, not a turn
const GAP_PX = 5;  // px a scene unit from which tiles are drawn with the gaps between them

const VERTEX = `
  attribute vec3 colour;
  uniform float size;
  varying vec3 vColour;
  void main() {
    vColour = colour;
    gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
    gl_PointSize = size;
  }`;
const FRAGMENT = `
  varying vec3 vColour;
  uniform float ring;
  void main() {
    vec2 d = abs(gl_PointCoord - 0.5);
    if (ring > 0.0 && max(d.x, d.y) < 0.5 - ring) discard;
    gl_FragColor = vec4(vColour, 1.0);
  }`;

// A scale's range for a plane's values: fixed where the layer's output is bounded, else from
// the values (lenet_core.present.colours and scene.plane_scales say the same in Python).
export function scaleRange(rule, values) {
  if (rule === "unit" || rule === "probability") return [0, 1];
  if (rule === "tanh") return [-1, 1];
  let low = Infinity, high = -Infinity, big = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < low) low = v; if (v > high) high = v; if (Math.abs(v) > big) big = Math.abs(v);
  }
  if (rule === "grey") return [low, high > low ? high : low + 1];
  if (rule === "positive") return [0, high > 1e-12 ? high : 1];
  big = big > 1e-12 ? big : 1;
  return [-big, big];  // signed
}

export function formatValue(v) { return (Object.is(Math.round(v * 1000), -0) ? 0 : v).toFixed(3); }

export class NetworkView {
  constructor(host, {onSelect, lines} = {}) {
    this.host = host;
    this.onSelect = onSelect || (() => {});
    this.lines = lines || (() => null);  // (plane, unit) -> unitLines(...) or null
    this.renderer = new THREE.WebGLRenderer({antialias: false, preserveDrawingBuffer: false});
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.renderer.setClearColor(BACKGROUND, 1);
    host.appendChild(this.renderer.domElement);
    this.canvas = this.renderer.domElement;
    this.canvas.classList.add("net3d-canvas");
    this.labels = document.createElement("div");
    this.labels.className = "net3d-labels";
    host.appendChild(this.labels);
    this.tooltip = document.createElement("div");
    this.tooltip.className = "net3d-tooltip";
    host.appendChild(this.tooltip);
    this.scene = new THREE.Scene();
    this.camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -1e5, 1e5);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = false;
    this.controls.zoomToCursor = true;  // the wheel magnifies what is under the pointer
    this.controls.addEventListener("change", () => { this.projected = null; this.requestRender(); });
    this.visible = new Set();
    this.hovered = null;  // [plane, unit]
    this.selected = null;
    this.values = null;
    this.frames = 0;
    this._pointer();
    new ResizeObserver(() => this.resize()).observe(host);
  }

  // ---- the network ---------------------------------------------------------------------------
  setNetwork(spec) {
    for (const obj of [...this.scene.children]) { this.scene.remove(obj); obj.geometry?.dispose(); }
    this.spec = spec;
    this.tables = {};
    for (const [name, rows] of Object.entries(spec.colour_tables)) {
      this.tables[name] = Float32Array.from(rows.flat(), (c) => c / 255);
    }
    this.planes = spec.planes.map((plane) => {
      const centre = new Function("i", `return [${plane.centre.join(", ")}];`);
      const positions = new Float32Array(plane.size * 3);
      for (let i = 0; i < plane.size; i++) positions.set(centre(i), i * 3);
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute("position", new THREE.BufferAttribute(positions, 3));
      const colour = new THREE.BufferAttribute(new Float32Array(plane.size * 3).fill(0.85), 3);
      colour.setUsage(THREE.DynamicDrawUsage);
      geometry.setAttribute("colour", colour);
      const material = new THREE.ShaderMaterial({
        vertexShader: VERTEX, fragmentShader: FRAGMENT,
        uniforms: {size: {value: 4}, ring: {value: 0}}});
      const points = new THREE.Points(geometry, material);
      points.frustumCulled = false;
      this.scene.add(points);
      return {...plane, positions, points, colour, range: [0, 1]};
    });
    this.marker = this._marker();
    this.visible = new Set(this.planes.map((p) => p.name));
    this.hovered = this.selected = null;
    this.values = null;
    this._clearLines();
    this._warmLines();
    this._buildLabels();
    this.setView(spec.default_view);
  }

  // compile the lines' shaders now, not on the first hover (a zero-length line of each kind)
  _warmLines() {
    const [thinMaterial, thickMaterial] = this._lineMaterials();
    const thin = new THREE.BufferGeometry();
    thin.setAttribute("position", new THREE.BufferAttribute(new Float32Array(6), 3));
    thin.setAttribute("color", new THREE.BufferAttribute(new Float32Array(6), 3));
    const thick = new LineSegmentsGeometry();
    thick.setPositions([0, 0, 0, 0, 0, 0]);
    thick.setColors([0, 0, 0, 0, 0, 0]);
    const objects = [new THREE.LineSegments(thin, thinMaterial), new LineSegments2(thick, thickMaterial)];
    objects.forEach((o) => this.scene.add(o));
    this.renderer.compile(this.scene, this.camera);
    objects.forEach((o) => { this.scene.remove(o); o.geometry.dispose(); });
  }

  _marker() {
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(3), 3));
    geometry.setAttribute("colour", new THREE.BufferAttribute(new Float32Array(SELECTED), 3));
    const material = new THREE.ShaderMaterial({vertexShader: VERTEX, fragmentShader: FRAGMENT,
      uniforms: {size: {value: 8}, ring: {value: 0.18}}, depthTest: false});
    const marker = new THREE.Points(geometry, material);
    marker.renderOrder = 10;
    marker.visible = false;
    marker.frustumCulled = false;
    this.scene.add(marker);
    return marker;
  }

  // ---- values and colours ----------------------------------------------------------------------
  // values: one Float32Array a plane, in the spec's plane order (the plane's output flattened).
  // now: draw at once (the caller is already in an animation frame), not at the next frame.
  // change: each plane's change from other values (another sample or checkpoint), coloured on a
  // signed scale instead of the values themselves; tooltips and lines keep the values.
  setValues(values, now = false, change = null) {
    this.values = values;
    this.change = change;
    this.planes.forEach((plane, p) => {
      const v = change ? change[p] : values[p], rgb = plane.colour.array;
      const rule = plane.shown = change ? "signed" : plane.rule;
      const table = this.tables[this.spec.rule_maps[rule]];
      // a colour input's maps in their own colours (red, green, blue), on the plane's one range
      const named = !change && plane.map_names ? plane.map_names.map((name) => this.tables[name]) : null;
      const perMap = named ? plane.size / named.length : plane.size;
      const [low, high] = plane.range = scaleRange(rule, v);
      const span = (high - low) || 1;
      for (let i = 0; i < plane.size; i++) {
        let t = (v[i] - low) / span; t = t < 0 ? 0 : t > 1 ? 1 : t;
        const k = Math.round(t * 256) * 3, tab = named ? named[Math.floor(i / perMap)] : table;
        rgb[i * 3] = tab[k]; rgb[i * 3 + 1] = tab[k + 1]; rgb[i * 3 + 2] = tab[k + 2];
      }
      plane.colour.needsUpdate = true;
    });
    this._showLines();
    if (now) this.render(); else this.requestRender();
    if (this.hovered) this._showTooltip(...this.hovered);
  }

  clearValues() {  // nothing drawn yet: every tile a neutral grey
    this.values = null;
    for (const plane of this.planes || []) { plane.colour.array.fill(0.85); plane.colour.needsUpdate = true; }
    this._showLines();
    this.requestRender();
  }

  colourOf(rule, range, value, named = null) {  // [r, g, b] 0..255 of one value, for the legends
    const table = this.tables[named || this.spec.rule_maps[rule]];
    const t = Math.min(1, Math.max(0, (value - range[0]) / ((range[1] - range[0]) || 1)));
    const k = Math.round(t * 256) * 3;
    return [table[k], table[k + 1], table[k + 2]].map((c) => Math.round(c * 255));
  }

  // ---- which planes, the camera ------------------------------------------------------------------
  setVisible(names) {
    this.visible = new Set(names);
    for (const plane of this.planes) plane.points.visible = this.visible.has(plane.name);
    if (this.hovered && !this.visible.has(this.planes[this.hovered[0]].name)) this.hovered = null;
    this.projected = null;
    this._showLines();
    this._buildLabels();
    this.requestRender();
  }

  setView(view) {
    const preset = this.spec.views[view] || this.spec.views[this.spec.default_view];
    this.view = view;
    const [r0, r1, r2] = preset.rotation;  // world -> view: rows are the view's x, y, z axes
    const target = new THREE.Vector3(...preset.target);
    const back = new THREE.Vector3(r2[0], r2[1], r2[2]);  // the view's z axis, in the world
    this.camera.position.copy(target).addScaledVector(back, 2000);
    this.camera.up.set(r1[0], r1[1], r1[2]);
    this.camera.lookAt(target);
    // a preset is framed for a view NARROWEST px wide (lenet_core/present/camera.py): narrower
    // views zoom out to keep the whole network in sight
    this.camera.zoom = Math.pow(2, preset.zoom) * Math.min(1, (this.width || this.spec.narrowest) / this.spec.narrowest);
    this.camera.updateProjectionMatrix();
    this.controls.minZoom = Math.min(Math.pow(2, preset.zoom_range[0]), this.camera.zoom);
    this.controls.maxZoom = Math.pow(2, preset.zoom_range[1]);
    this.controls.target.copy(target);
    this.controls.update();
    this.presetLabels = preset.labels;
    this._buildLabels();
    this.projected = null;
    this.requestRender();
    return preset.height;
  }

  cameraState() {
    return {position: this.camera.position.toArray(), up: this.camera.up.toArray(),
            target: this.controls.target.toArray(), zoom: this.camera.zoom, view: this.view};
  }

  restoreCamera(state) {
    if (!state) return;
    this.view = state.view;
    this.presetLabels = (this.spec.views[state.view] || this.spec.views[this.spec.default_view]).labels;
    this.camera.position.fromArray(state.position);
    this.camera.up.fromArray(state.up);
    this.controls.target.fromArray(state.target);
    this.camera.zoom = state.zoom;
    this.camera.lookAt(this.controls.target);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this._buildLabels();
    this.projected = null;
    this.requestRender();
  }

  resize() {
    const w = this.host.clientWidth, h = this.host.clientHeight;
    if (!w || !h) return;
    this.renderer.setSize(w, h, true);
    Object.assign(this.camera, {left: -w / 2, right: w / 2, top: h / 2, bottom: -h / 2});
    this.camera.updateProjectionMatrix();
    this.width = w; this.height = h;
    this.projected = null;
    this.requestRender();
  }

  // ---- drawing ---------------------------------------------------------------------------------
  requestRender() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    if (!this.planes) return;
    const scale = this.camera.zoom * this.renderer.getPixelRatio();
    // under GAP_PX a scene unit, the gaps between tiles would be fractions of a pixel and shimmer
    // (moiré): neighbours touch instead, and the gaps show once zoomed in
    const side = (tile) => Math.max(1, scale < GAP_PX ? scale : tile * scale);
    for (const plane of this.planes) plane.points.material.uniforms.size.value = side(plane.tile);
    this.marker.material.uniforms.size.value = Math.max(4, 1.7 * this.planes[0].tile * scale);
    if (this.thick) this.thick.material.resolution.set(this.width || 1, this.height || 1);
    this.renderer.render(this.scene, this.camera);
    this._placeLabels();
    this.frames++;
  }

  // ---- labels (HTML over the canvas: crisp text at any zoom) -----------------------------------
  _buildLabels() {
    this.labels.replaceChildren();
    this.labelItems = (this.presetLabels || []).filter((l) => this.visible.has(l.plane)).map((l) => {
      const span = document.createElement("span");
      span.textContent = l.text;
      span.className = l.tile ? "net3d-label net3d-class" : "net3d-label";
      this.labels.appendChild(span);
      return {span, anchor: new THREE.Vector3(...l.anchor), offset: l.offset};
    });
  }

  _placeLabels() {
    const v = new THREE.Vector3();
    for (const item of this.labelItems || []) {
      v.copy(item.anchor).project(this.camera);
      const x = (v.x + 1) / 2 * this.width + item.offset[0], y = (1 - v.y) / 2 * this.height + item.offset[1];
      item.span.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%)`;
    }
  }

  // ---- hover and click ---------------------------------------------------------------------------
  _pointer() {
    let down = null;
    this.canvas.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
    this.canvas.addEventListener("pointerup", (e) => {
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) <= CLICK_SLOP) {
        const hit = this.pick(e.offsetX, e.offsetY);
        const same = hit && this.selected && hit[0] === this.selected[0] && hit[1] === this.selected[1];
        this.select(same ? null : hit);
        this.onSelect(this.selected);
      }
      down = null;
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (e.buttons) return;  // turning or panning
      const start = performance.now();
      this.hover(this.pick(e.offsetX, e.offsetY), e.offsetX, e.offsetY);
      this.lastHoverMs = performance.now() - start;
    });
    this.canvas.addEventListener("pointerleave", () => this.hover(null));
  }

  _project() {  // every visible unit's place on screen (px) and its nearness, once per camera move
    const m = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse);
    const e = m.elements, w = this.width, h = this.height;
    this.projected = this.planes.map((plane) => {
      if (!this.visible.has(plane.name)) return null;
      const pos = plane.positions, out = new Float32Array(plane.size * 3);
      for (let i = 0; i < plane.size; i++) {
        const x = pos[i * 3], y = pos[i * 3 + 1], z = pos[i * 3 + 2];
        out[i * 3] = ((e[0] * x + e[4] * y + e[8] * z + e[12]) + 1) / 2 * w;
        out[i * 3 + 1] = (1 - (e[1] * x + e[5] * y + e[9] * z + e[13])) / 2 * h;
        out[i * 3 + 2] = e[2] * x + e[6] * y + e[10] * z + e[14];  // smaller: nearer
      }
      return out;
    });
  }

  // where unit i of plane p is drawn, in px from the canvas's top-left corner (tests aim with it)
  screenOf(p, i) {
    if (!this.projected) this._project();
    const s = this.projected[p];
    return s ? [s[i * 3], s[i * 3 + 1]] : null;
  }

  // [plane index, unit] under the pointer (the nearest tile), or null
  pick(x, y) {
    if (!this.planes || !this.width) return null;
    if (!this.projected) this._project();
    let best = null, depth = Infinity;
    this.planes.forEach((plane, p) => {
      const s = this.projected[p];
      if (!s) return;
      const half = Math.max(0.5, plane.tile * this.camera.zoom / 2);
      for (let i = 0; i < plane.size; i++) {
        if (Math.abs(s[i * 3] - x) <= half && Math.abs(s[i * 3 + 1] - y) <= half && s[i * 3 + 2] < depth) {
          depth = s[i * 3 + 2]; best = [p, i];
        }
      }
    });
    return best;
  }

  hover(hit, x, y) {
    const same = (a, b) => (a === b) || (a && b && a[0] === b[0] && a[1] === b[1]);
    if (!same(hit, this.hovered)) {  // drawn at once: lastHoverMs is pointer to lines on screen
      this.hovered = hit;
      this._showLines();
      this.render();
    }
    if (hit) this._showTooltip(hit[0], hit[1], x, y); else this.tooltip.style.display = "none";
  }

  select(hit) {
    this.selected = hit;
    this._showLines();
    this.requestRender();
  }

  where(p, i) {  // "map 3 (12, 7)", "(12, 7)", "red (12, 7)", "class 7", "unit 17": from 0, as PyTorch
    const plane = this.planes[p], shape = plane.shape;
    if (shape.length === 3) {
      const [, h, w] = shape, m = Math.floor(i / (h * w)), r = Math.floor(i / w) % h, c = i % w;
      if (plane.map_names) return `${plane.map_names[m]} (${r}, ${c})`;
      return plane.kind === "input" ? `(${r}, ${c})` : `map ${m} (${r}, ${c})`;
    }
    if (plane.kind === "output" && i < this.spec.classes.length) return `class ${this.spec.classes[i]}`;
    return `unit ${i}`;
  }

  unitText(p, i) {
    const plane = this.planes[p];
    const value = this.values ? this.values[p][i] : null;
    let text = value === null ? "" : plane.kind === "output" ? `p = ${formatValue(value)}` : formatValue(value);
    if (this.change && value !== null) {
      const d = this.change[p][i];
      text += ` (change ${d >= 0 ? "+" : ""}${formatValue(d)})`;
    }
    return `${plane.name} ${this.where(p, i)}: ${text}`;
  }

  _showTooltip(p, i, x, y) {
    this.tooltip.textContent = this.unitText(p, i);
    this.tooltip.style.display = "block";
    if (x !== undefined) {  // beside the pointer, on its left where the right edge is near
      const left = x + 14 + this.tooltip.offsetWidth > this.width ? x - 14 - this.tooltip.offsetWidth : x + 14;
      this.tooltip.style.transform = `translate(${Math.max(0, left)}px, ${y + 14}px)`;
    }
  }

  // ---- lines into the hovered unit, else the selected one --------------------------------------
  _clearLines() {
    for (const obj of [this.thin, this.thick]) if (obj) { this.scene.remove(obj); obj.geometry.dispose(); }
    this.thin = this.thick = null;
    this.shownLines = null;
  }

  // one material each for the thin and the thick lines, made once: a new material a hover made
  // three.js set up its program again (the slowest hovers took 20 ms)
  // Lines are drawn over the tiles (no depth test): a unit's inputs lie behind other planes'
  // tiles from most angles, and a line hidden half way says nothing.
  _lineMaterials() {
    this.thinMaterial ??= new THREE.LineBasicMaterial({vertexColors: true, depthTest: false});
    this.thickMaterial ??= new LineMaterial({linewidth: THICK, vertexColors: true, depthTest: false});
    return [this.thinMaterial, this.thickMaterial];
  }

  _showLines() {
    this._clearLines();
    const unit = this.hovered || this.selected;
    this.marker.visible = !!this.selected && this.visible.has(this.planes[this.selected[0]].name);
    if (this.selected) this.marker.geometry.attributes.position.array.set(
      this.planes[this.selected[0]].positions.subarray(this.selected[1] * 3, this.selected[1] * 3 + 3));
    this.marker.geometry.attributes.position.needsUpdate = true;
    if (!unit || !this.values || !this.visible.has(this.planes[unit[0]].name)) return;
    const [p, i] = unit;
    const lines = this.lines(p, i);
    if (!lines || !this.visible.has(this.planes[p - 1].name)) return;
    this.shownLines = {plane: p, unit: i, count: lines.source.length, note: lines.note};
    const end = this.planes[p].positions.subarray(i * 3, i * 3 + 3), from = this.planes[p - 1].positions;
    let big = 0;
    for (const v of lines.product) big = Math.max(big, Math.abs(v));
    big = big > 1e-12 ? big : 1;
    const n = lines.source.length, pos = new Float32Array(n * 6), col = new Float32Array(n * 6);
    const strong = [], strongColours = [];
    for (let k = 0; k < n; k++) {
      const s = lines.source[k], v = lines.product[k];
      const rgb = this.colourOf("signed", [-big, big], v).map((c) => c / 255 * (0.5 + 0.5 * Math.abs(v) / big));
      pos.set(from.subarray(s * 3, s * 3 + 3), k * 6); pos.set(end, k * 6 + 3);
      col.set(rgb, k * 6); col.set(rgb, k * 6 + 3);
      if (lines.strongest[k]) { strong.push(...pos.subarray(k * 6, k * 6 + 6)); strongColours.push(...rgb, ...rgb); }
    }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    geometry.setAttribute("color", new THREE.BufferAttribute(col, 3));
    const [thinMaterial, thickMaterial] = this._lineMaterials();
    this.thin = new THREE.LineSegments(geometry, thinMaterial);
    this.thin.frustumCulled = false;
    this.thin.renderOrder = 5;
    this.scene.add(this.thin);
    if (strong.length) {
      const thick = new LineSegmentsGeometry();
      thick.setPositions(strong);
      thick.setColors(strongColours);
      this.thick = new LineSegments2(thick, thickMaterial);
      this.thick.frustumCulled = false;
      this.thick.renderOrder = 6;
      this.scene.add(this.thick);
    }
  }
}
