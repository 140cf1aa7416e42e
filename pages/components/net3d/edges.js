// The lines into one unit: every value its layer reads, and input × weight for each (what the
// line adds to the unit's weighted sum). The browser's twin of lenet_core.inspect.selection's
// unit_edges, so that hovering needs no server: a convolution reads its window in every input
// map, pooling its window in one map, a dense unit the whole plane before it. Window cells in the
// zero padding have no unit and no line. Checked against Python in tests/e2e/test_network_live.py.

export const STRONGEST = 5;

// {source: Int32Array of unit indices in the plane before, product: Float32Array, strongest:
// Uint8Array, note} for unit `unit` (flat index) of plane number `p`; null for an input pixel.
export function unitLines(planes, model, values, p, unit) {
  const plane = planes[p];
  if (plane.kind === "input") return null;
  const before = planes[p - 1], input = values[p - 1];
  const layer = model.layers.find((l) => l.name === plane.weighted);
  const P = model.params[layer.name] || {}, a = layer.args;
  const source = [], product = [];
  let note = "each line is input × weight: what it adds to the sum";
  if (layer.module === "Conv2d" || layer.module.endsWith("Pool2d")) {
    const [c, h, w] = before.shape, [, oh, ow] = plane.shape;
    const o = Math.floor(unit / (oh * ow)), i = Math.floor(unit / ow) % oh, j = unit % ow;
    const k = a.kernel_size, conv = layer.module === "Conv2d";
    const s = a.stride || (conv ? 1 : k), pad = conv ? (a.padding || 0) : 0;
    const channels = conv ? [...Array(c).keys()] : [o];
    for (const ci of channels) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) {
      const r = i * s - pad + u, q = j * s - pad + v;
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      const at = (ci * h + r) * w + q;
      source.push(at);
      product.push(conv ? input[at] * P.weight[((o * c + ci) * k + u) * k + v] : input[at]);
    }
    if (layer.module === "MaxPool2d") {
      const top = Math.max(...product), ties = product.filter((x) => x === top).length;
      for (let n = 0; n < product.length; n++) product[n] = product[n] === top ? top / ties : 0;
      note = "max pooling passes on the largest value: only its line counts";
    } else if (layer.module === "AvgPool2d") {
      for (let n = 0; n < product.length; n++) product[n] /= k * k;
      note = `average pooling weighs each of its ${k * k} values by 1/${k * k}`;
    }
  } else {  // Linear: the whole plane before, flattened
    const f = a.in_features;
    for (let n = 0; n < f; n++) { source.push(n); product.push(input[n] * P.weight[unit * f + n]); }
  }
  const strongest = new Uint8Array(product.length);
  [...product.keys()].sort((x, y) => Math.abs(product[y]) - Math.abs(product[x]) || x - y)
    .slice(0, STRONGEST).forEach((n) => { if (Math.abs(product[n]) > 0) strongest[n] = 1; });
  return {source: Int32Array.from(source), product: Float32Array.from(product), strongest, note};
}
