// The 3D network element: the page's Python side (pages/ui/net3d.py) sends a network's view
// (lenet_core/present/view_spec.py) and its checkpoint's bundle (lenet_core/model/browser.py)
// once per model, then either nothing more ("live": the pad here draws, prepare.js prepares the
// drawing as lenet_core does, forward.js runs the checkpoint, every unit and the guess recolour
// each frame) or each input's activations ("server": Draw and the Layer Explorer).
// A click on a unit tells the page (a rerun), which opens its unit inspector; hovering, turning,
// the layer switches and drawing cost no rerun. What a person set here (strokes, camera,
// switches, selection) is kept in the tab's sessionStorage, so it survives the element being
// rebuilt.

import {onRender, setFrameHeight, setValue} from "./streamlit.js";
import {Pad, SIDE} from "./pad.js";
import {unitLines} from "./edges.js";

const root = document.getElementById("root");
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const mainAt = performance.now();
const app = window.__net3d = {
  modelId: null, model: null, spec: null, view: null, pad: null, values: null, prepared: null,
  frames: [], probabilities: null, renders: 0,
};

function webglWorks() {
  try {
    const c = document.createElement("canvas");
    return !!(c.getContext("webgl2") || c.getContext("webgl"));
  } catch { return false; }
}

// The view's code (three.js: 2 MB of modules) loads on its own: the pad draws and the guess
// answers as soon as the model is here, and the view joins when its code is (docs/network3d.md#page-ready).
const viewCode = webglWorks() ? import("./view3d.js") : null;

function floats(text) {
  const s = atob(text), bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function base64(array) {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// ---- what this tab keeps --------------------------------------------------------------------
const kept = {
  read() { try { return JSON.parse(sessionStorage.getItem(app.storeKey) || "{}"); } catch { return {}; } },
  write(part) {
    try { sessionStorage.setItem(app.storeKey, JSON.stringify({...kept.read(), ...part})); } catch { /* full */ }
  },
};

// ---- the page --------------------------------------------------------------------------------
function build(live) {
  const ui = app.ui = {};
  ui.pad = el("canvas", {className: "net3d-pad", title: "Draw a digit"});
  ui.clear = el("button", {textContent: "Clear", onclick: () => app.pad.clear()});
  ui.seen = el("canvas", {className: "net3d-seen", width: 28, height: 28, title: "What the network sees: 28×28"});
  ui.guess = el("div", {className: "net3d-guess"});
  const side = el("div", {className: "net3d-side"}, [
    ui.pad,
    el("div", {className: "net3d-row"}, [ui.clear, ui.seen,
      el("span", {className: "net3d-note", textContent: "what the network sees"})]),
    ui.guess]);
  ui.presets = el("div", {className: "net3d-row"});
  ui.stage = el("div", {className: "net3d-stage"});
  ui.note = el("div", {className: "net3d-note"});
  ui.legend = el("div", {className: "net3d-legend"});
  ui.message = el("div", {className: "net3d-message", hidden: true});
  const main = el("div", {className: "net3d-main"}, [ui.message, ui.presets, ui.stage, ui.note, ui.legend]);
  ui.switches = el("div", {className: "net3d-switches"});
  root.replaceChildren(el("div", {className: "net3d"}, live ? [side, main, ui.switches] : [main, ui.switches]));
  if (live) app.pad = new Pad(ui.pad, onInk);
  if (viewCode) {
    viewCode.then(attachView, () => showMessage("The 3D view's code did not load (reload the page): the pad and the guesses still work."));
  } else {
    showMessage("This browser cannot draw the 3D view (WebGL is off or missing): the pad and the guesses still work.");
  }
  new ResizeObserver(() => setFrameHeight()).observe(root);
}

function attachView({NetworkView}) {
  app.view = new NetworkView(app.ui.stage, {onSelect, lines: (p, i) => unitLines(app.spec.planes, app.model, app.values, p, i)});
  app.view.controls.addEventListener("end", saveCamera);  // a turn, zoom or pan, once it ends
  if (app.spec) {  // the model came first: show it, and tell the page what the element now holds
    showNetwork();
    reply();
  }
}

function showMessage(text) {
  app.ui.message.textContent = text;
  app.ui.message.hidden = !text;
  app.ui.stage.hidden = app.ui.presets.hidden = app.ui.switches.hidden = !!text && !app.view;
}

// ---- a new network ------------------------------------------------------------------------------
function setNetwork(args) {
  app.bytes = {bundle: args.bundle.length, spec: args.spec.length};  // what this model cost to send
  app.model = decodeModel(JSON.parse(args.bundle));
  app.marks.decoded ??= performance.now();
  app.spec = JSON.parse(args.spec);
  app.modelId = args.model_id;
  app.values = app.change = null;
  if (kept.read().arch !== app.spec.arch) {  // what this tab kept belongs to another network
    kept.write({arch: app.spec.arch, camera: null, visible: null, selected: null});
  }
  if (app.spec.too_large) {
    showMessage(`${app.spec.too_large[0].toUpperCase()}${app.spec.too_large.slice(1)}: the pad and the guesses still work.`);
  } else if (app.view) {
    showMessage("");
  }
  if (app.view) showNetwork();
}

// the network in the view, with the camera and switches this tab kept for it, and the values
// that came before the view did
function showNetwork() {
  app.view.host.hidden = !!app.spec.too_large;
  if (!app.spec.too_large) {
    app.view.setNetwork(app.spec);
    const saved = kept.read();
    if (saved.visible) app.view.setVisible(saved.visible);
    if (saved.camera) {
      app.view.restoreCamera(saved.camera);
      app.ui.stage.style.height = `${app.spec.views[app.view.view]?.height || 480}px`;
      app.view.resize();
    } else {
      showView(app.view.view);  // framed for this element's width
    }
    if (app.values) app.view.setValues(app.values, true, app.change);
  }
  buildPresets();
  buildSwitches();
  describe();
  app.marks.view ??= performance.now();
  app.viewAt ??= performance.timeOrigin + performance.now();
}

function buildPresets() {
  if (!app.view || app.spec.too_large) { app.ui.presets.replaceChildren(); return; }
  const buttons = Object.keys(app.spec.views).map((view) => el("button", {
    textContent: view, title: `Camera: ${view}`, onclick: () => { showView(view); markPreset(); saveCamera(); }}));
  const reset = el("button", {textContent: "Reset camera", onclick: () => { app.view.setView(app.view.view); saveCamera(); }});
  app.ui.presets.replaceChildren(el("span", {className: "net3d-note", textContent: "Camera"}), ...buttons, reset,
    el("span", {className: "net3d-note", textContent: "drag to turn · scroll to zoom · right-drag to pan"}));
  markPreset();
}

// a preset: its camera, and the view as tall as the preset's frame needs
function showView(view) {
  app.ui.stage.style.height = `${app.spec.views[view].height}px`;
  app.view.resize();
  app.view.setView(view);
  setFrameHeight();
}

function markPreset() {
  for (const b of app.ui.presets.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.textContent === app.view.view));
}

function saveCamera() { if (app.view) kept.write({camera: app.view.cameraState()}); }

function buildSwitches() {
  if (!app.view || app.spec.too_large) { app.ui.switches.replaceChildren(); return; }
  const boxes = app.spec.planes.map((plane) => {
    const box = el("input", {type: "checkbox", checked: app.view.visible.has(plane.name), value: plane.name});
    box.addEventListener("change", changedSwitches);
    return el("label", {title: plane.title}, [box, plane.name]);
  });
  const all = el("button", {textContent: "Show all", onclick: () => {
    for (const b of app.ui.switches.querySelectorAll("input")) b.checked = true;
    changedSwitches();
  }});
  app.ui.switches.replaceChildren(el("b", {textContent: "Layers"}), ...boxes, all);
}

function changedSwitches() {
  const names = [...app.ui.switches.querySelectorAll("input")].filter((b) => b.checked).map((b) => b.value);
  app.view.setVisible(names);
  kept.write({visible: names});
  describe();
}

// ---- values: from the pad (live) or from the server ---------------------------------------------
function softmax(logits) {
  const top = Math.max(...logits), e = logits.map((v) => Math.exp(v - top)), sum = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / sum);
}

// Every plane's values for a drawing's inputs (prepare.js's modelInputs: the input, and its
// mirror image where the checkpoint predicts with both): what the page shows
// (lenet_core.inspect.geometry's plane_values): the input itself, a module's output, or the class
// probabilities, averaged over the mirror image as lenet_core.model.inputs.class_probabilities does.
function planeValues([x, flipped]) {
  const last = app.model.layers.at(-1).name;
  const out = forward(app.model, x);
  let p = softmax(out[last]);
  if (flipped) {
    const q = softmax(forward(app.model, flipped)[last]);
    p = p.map((v, k) => (v + q[k]) / 2);
  }
  app.probabilities = p;
  return app.spec.planes.map((plane) => plane.kind === "output" ? p : plane.shows === "input" ? x : out[plane.shows]);
}

function onInk(pixels, since, ended) {
  if (!app.model) return;
  const start = performance.now();
  const prepared = app.prepared = prepareDrawing(pixels, SIDE, SIDE);
  if (!prepared.image) {
    app.values = null;
    app.view?.clearValues();
    showGuesses(null);
    drawSeen(null);
  } else {
    app.values = planeValues(modelInputs(prepared.image, app.model));
    if (app.view && !app.spec.too_large) app.view.setValues(app.values, true);
    showGuesses(app.probabilities, prepared.note);
    drawSeen(prepared.image);
  }
  const done = performance.now();
  app.frames.push({since, start, done, ended});
  if (app.frames.length > 2000) app.frames.shift();
  if (ended) kept.write({strokes: app.pad.strokes});
  // the words and legends under the view: at the pen's lift, and a few times a second while it
  // moves (rebuilding them every frame cost a layout of the whole element each time)
  if (ended || !(done - app.described < 250)) { app.described = done; describe(); }
}

function drawSeen(image) {
  const ctx = app.ui.seen.getContext("2d"), data = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const g = image ? Math.round(image[i] * 255) : 0;
    data.data.set([g, g, g, 255], i * 4);
  }
  ctx.putImageData(data, 0, 0);
}

function showGuesses(p, note) {
  const ui = app.ui;
  if (!p) {
    ui.guess.replaceChildren(el("div", {className: "net3d-note",
      textContent: "Draw a digit in the black box: every unit and the guess change as the pen moves."}));
    return;
  }
  const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
  const [first, second] = order, names = app.model.classes;
  const bar = (v, cls) => el("div", {className: `net3d-bar ${cls}`}, [el("div", {style: `width:${(v * 100).toFixed(1)}%`})]);
  ui.guess.replaceChildren(
    el("div", {}, ["First guess: ", el("b", {className: "net3d-first", textContent: names[first]}),
      ` · ${(p[first] * 100).toFixed(1)} %`]),
    bar(p[first], "first"),
    el("div", {className: "net3d-second-line"}, ["Second guess: ", el("b", {className: "net3d-second", textContent: names[second]}),
      ` · ${(p[second] * 100).toFixed(1)} %`]),
    bar(p[second], "second"),
    ...(note ? [el("div", {className: "net3d-note", textContent: note[0].toUpperCase() + note.slice(1) + "."})] : []));
}

function showServerValues(values, reference, label) {
  app.values = app.spec.planes.map((plane) => floats(values[plane.name]));
  app.change = null;
  if (reference) {
    app.change = app.spec.planes.map((plane, p) => {
      const before = floats(reference[plane.name]);
      return app.values[p].map((v, i) => v - before[i]);
    });
  }
  app.changeFrom = reference ? label : null;
  // drawn at once, not at the next animation frame: the page around the element is busy drawing
  // the rest of the rerun, and a frame can wait behind it
  if (app.view && !app.spec.too_large) app.view.setValues(app.values, true, app.change);
  describe();
}

// ---- selection, and the words under the view ----------------------------------------------------
function onSelect(hit) {
  const plane = hit ? app.spec.planes[hit[0]] : null;
  let unit = null;
  if (plane) {
    const shape = plane.shape;
    unit = shape.length === 3
      ? [Math.floor(hit[1] / (shape[1] * shape[2])), Math.floor(hit[1] / shape[2]) % shape[1], hit[1] % shape[2]]
      : [hit[1]];
  }
  const selected = plane ? {plane: plane.name, unit} : null;
  kept.write({selected});
  describe();
  setValue({have: app.modelId, selected,
            image: app.prepared && app.prepared.image ? base64(app.prepared.image) : null});
}

function describe() {
  const view = app.view;
  if (!view || !app.spec || app.spec.too_large) { app.ui.note.textContent = ""; return; }
  let text = app.changeFrom
    ? `Each tile is one unit, coloured by its change from ${app.changeFrom} (below: red rose, blue fell). `
    : "Each tile is one unit, coloured by its value on its plane's rule (below). ";
  text += "Point at a tile for its value and the lines into it; click it to select it and open it in the unit inspector.";
  if (view.selected) text = `Selected: ${view.unitText(...view.selected)}. ` + text;
  if (view.shownLines) text += ` Lines: red raise the unit's sum, blue lower it, the five strongest thick; ${view.shownLines.note}.`;
  app.ui.note.textContent = text;
  const legend = view.planes.filter((p) => view.visible.has(p.name)).map((plane) => {
    // a colour input: one bar a channel, each from black to its colour, on the plane's one range
    const tables = !app.changeFrom && plane.map_names ? plane.map_names : [null];
    const bars = tables.map((table) => {
      const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => {
        const v = plane.range[0] + t * (plane.range[1] - plane.range[0]);
        return `rgb(${view.colourOf(plane.shown || plane.rule, plane.range, v, table).join(",")})`;
      });
      return el("span", {className: "bar", title: table || "",
                         style: `background:linear-gradient(to right, ${stops.join(",")})`});
    });
    const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(2));
    return el("span", {}, [`${plane.name} ${fmt(plane.range[0])}`, ...bars, fmt(plane.range[1])]);
  });
  app.ui.legend.replaceChildren(...legend);
}

// ---- the Python side's arguments, at every rerun ------------------------------------------------
onRender((args) => {
  app.renders++;
  app.marks ??= {main: mainAt, scripts: performance.now()};  // this frame's scripts loaded, its first arguments here
  app.storeKey = `net3d:${args.key || "view"}`;
  if (!app.ui) build(args.mode === "live");
  if (args.model_id !== app.modelId) {
    if (!args.bundle || !args.spec) {  // the page thought this element had the model already
      setValue({have: null});
      return;
    }
    setNetwork(args);
    if (args.mode === "live") app.pad.redraw(app.pad.strokes.length ? app.pad.strokes : kept.read().strokes || []);
    app.readyAt = performance.timeOrigin + performance.now();  // the pad draws and the guess answers
    app.marks.ready ??= performance.now();
    if (app.view || !viewCode) reply();  // else once the view is here (attachView)
  }
  if (args.mode === "server" && args.values) showServerValues(args.values, args.reference, args.reference_label);
  setFrameHeight();
});

// Tell the page which model the element holds (so its weights are not sent again) and the unit a
// person had selected here before the element was rebuilt (its inspector opens again).
function reply() {
  const saved = kept.read();
  const selected = saved.selected && app.view && !app.spec.too_large ? restoreSelection(saved.selected) : null;
  setValue({have: app.modelId, selected,
            image: selected && app.prepared && app.prepared.image ? base64(app.prepared.image) : null});
}

function restoreSelection(selected) {
  const p = app.spec.planes.findIndex((plane) => plane.name === selected.plane);
  if (p < 0) return null;
  const shape = app.spec.planes[p].shape, u = selected.unit;
  const i = shape.length === 3 ? (u[0] * shape[1] + u[1]) * shape[2] + u[2] : u[0];
  if (i >= app.spec.planes[p].size) return null;
  app.view.select([p, i]);
  describe();
  return selected;
}
