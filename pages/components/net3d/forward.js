// LeNet in the browser: an interpreter of our layer specs and a checkpoint's float32 weights
// (lenet_core/model/browser.py makes the bundle). forward(model, input) gives every layer's
// output for one image, batch 1, in PyTorch's layout (channels, rows, columns); parity with
// PyTorch is a test (tests/e2e/test_browser_forward.py). Plain JavaScript: no dependency.

// The bundle's base64 float32 tensors, decoded once per model.
function decodeModel(bundle) {
  const model = {...bundle, params: {}};
  for (const layer in bundle.params) {
    model.params[layer] = {};
    for (const key in bundle.params[layer]) {
      const text = atob(bundle.params[layer][key]);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      model.params[layer][key] = new Float32Array(bytes.buffer);
    }
  }
  return model;
}

// Each output row and column reads only the window cells inside the input (padding adds zeros):
// their ranges are worked out once per row and column, not tested in the innermost loop, which
// runs along a contiguous row of the input and of the filter (twice as fast as testing each cell).
function conv2d(x, [c, h, w], a, W, B) {
  const k = a.kernel_size, s = a.stride || 1, p = a.padding || 0, co = a.out_channels;
  const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
  const y = new Float32Array(co * oh * ow);
  const first = (o) => Math.max(0, p - o * s), last = (o, n) => Math.min(k, n + p - o * s);
  for (let o = 0; o < co; o++) {
    const bias = B[o];
    for (let i = 0; i < oh; i++) {
      const u0 = first(i), u1 = last(i, h), r0 = i * s - p;
      for (let j = 0; j < ow; j++) {
        const v0 = first(j), v1 = last(j, w), q0 = j * s - p;
        let sum = bias;
        for (let ci = 0; ci < c; ci++) {
          const wBase = (o * c + ci) * k * k, xBase = ci * h * w;
          for (let u = u0; u < u1; u++) {
            const wRow = wBase + u * k, xRow = xBase + (r0 + u) * w + q0;
            for (let v = v0; v < v1; v++) sum += W[wRow + v] * x[xRow + v];
          }
        }
        y[(o * oh + i) * ow + j] = sum;
      }
    }
  }
  return [y, [co, oh, ow]];
}
function pool(x, [c, h, w], a, max) {
  const k = a.kernel_size, s = a.stride || k, oh = Math.floor((h - k) / s) + 1, ow = Math.floor((w - k) / s) + 1;
  const y = new Float32Array(c * oh * ow);
  for (let ci = 0; ci < c; ci++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let m = max ? -Infinity : 0;
    for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) {
      const t = x[(ci * h + i * s + u) * w + j * s + v]; m = max ? Math.max(m, t) : m + t;
    }
    y[(ci * oh + i) * ow + j] = max ? m : m / (k * k);
  }
  return [y, [c, oh, ow]];
}
function linear(x, a, W, B) {
  const n = a.out_features, f = a.in_features, y = new Float32Array(n);
  for (let o = 0; o < n; o++) { let s = B[o]; for (let i = 0; i < f; i++) s += W[o * f + i] * x[i]; y[o] = s; }
  return y;
}
function batchnorm(x, shape, a, P) {
  const c = shape[0], per = x.length / c, y = new Float32Array(x.length), eps = a.eps || 1e-5;
  for (let ci = 0; ci < c; ci++) {
    const scale = P.weight[ci] / Math.sqrt(P.running_var[ci] + eps), shift = P.bias[ci] - P.running_mean[ci] * scale;
    for (let i = 0; i < per; i++) y[ci * per + i] = x[ci * per + i] * scale + shift;
  }
  return y;
}
function forward(model, input) {
  let x = input, shape = [model.input_channels || 1, model.input_size, model.input_size]; const out = {};
  for (const L of model.layers) {
    const P = model.params[L.name] || {};
    if (L.module === "Conv2d") [x, shape] = conv2d(x, shape, L.args, P.weight, P.bias);
    else if (L.module === "MaxPool2d") [x, shape] = pool(x, shape, L.args, true);
    else if (L.module === "AvgPool2d") [x, shape] = pool(x, shape, L.args, false);
    else if (L.module === "Linear") { x = linear(x, L.args, P.weight, P.bias); shape = [x.length]; }
    else if (L.module.startsWith("BatchNorm")) x = batchnorm(x, shape, L.args, P);
    else if (L.module === "ReLU") x = x.map(v => v > 0 ? v : 0);
    else if (L.module === "Sigmoid") x = x.map(v => 1 / (1 + Math.exp(-v)));
    else if (L.module === "Tanh") x = x.map(Math.tanh);
    else if (L.module === "Flatten") shape = [x.length];
    else if (L.module !== "Dropout") throw new Error(`layer ${L.name}: no module ${L.module} here`);
    out[L.name] = x;
  }
  return out;
}
