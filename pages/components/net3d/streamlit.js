// The Streamlit custom-component protocol (components v1), by hand: the page posts "render"
// with the Python call's arguments; we post "componentReady" once, "setFrameHeight" when our
// height changes, and "setComponentValue" to hand the Python side a value (which reruns the page).
// Why v1 and not v2: a v1 component is a folder that Streamlit serves as it is, node_modules
// included, so three.js loads from the npm install with no build step and no package manifest;
// v2 serves files only from an asset_dir declared by an installed package.

const send = (type, data = {}) =>
  window.parent.postMessage({isStreamlitMessage: true, type, ...data}, "*");

export function onRender(callback) {
  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") callback(event.data.args || {});
  });
  send("streamlit:componentReady", {apiVersion: 1});
}

let lastHeight = -1;
// The element's own height (the body's content: the document's scrollHeight never falls below the
// iframe's current height, so the frame could grow but never shrink).
export function setFrameHeight(height) {
  const h = Math.ceil(height ?? document.body.getBoundingClientRect().height);
  if (h !== lastHeight) { lastHeight = h; send("streamlit:setFrameHeight", {height: h}); }
}

export function setValue(value) {
  send("streamlit:setComponentValue", {value, dataType: "json"});
}
