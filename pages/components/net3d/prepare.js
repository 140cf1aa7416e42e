// A drawing -> the input a network takes, in the browser, exactly as lenet_core prepares it:
// prepareDrawing() is lenet_core/data/preprocess.py's mnist_style() (ink, noise floor, bounding
// box, longest side 20 px, centre of mass at (14, 14)); modelInput() is lenet_core/model/inputs.py's
// model_input() (the checkpoint's normalisation, zero padding). Parity with both is a test
// (tests/e2e/test_browser_prepare.py). Plain JavaScript, no dependency: a page loads it with
// <script src> beside forward.js and gets four globals: prepareDrawing, modelInput, mirroredInput,
// modelInputs.
//
// "Exactly" is meant bit for bit where a rounding decides something: NumPy works in float32 here
// (Math.fround repeats each step), PIL resizes with double weights into float32 pixels, and the
// centre of mass is rounded half to even (Python's round) from sums taken in NumPy's order.
(() => {
  const SIZE = 28, BOX = 20, CENTRE = 14;
  const NOISE_FLOOR = Math.fround(0.12);  // NumPy compares float32 ink with 0.12 as float32
  const BLANK_CONTRAST = 0.15, SMALL_DRAWING_ZOOM = 2.5;
  const BLANK_NOTE = "blank: no ink was found (nothing stands out from the background)";
  const f32 = Math.fround;

  // rgba: width×height×4 bytes (a canvas' ImageData.data) -> {image: Float32Array(784) in [0, 1],
  // white ink on black, or null when blank; box: the ink's [top, left, bottom, right] in the
  // picture; note: mnist_style's words, or null; inverted: dark ink on a light background}.
  // Every ink value depends on one byte of its pixel (the alpha, or the brightest channel), and
  // monotonically: each step up to the crop is a 256-entry table, and the strongest ink is at the
  // lowest or the highest byte present. The picture is read twice.
  function prepareDrawing(rgba, width, height) {
    const n = width * height;
    if (!n) throw new Error(`a picture needs pixels; got ${width}×${height}`);
    const keys = keyBuffer(n);
    const transparent = median(rgba, width, height, 3) < 127.5;  // uint8 median: a float64 mean
    let low = 255, high = 0;
    if (transparent) {
      for (let i = 0, p = 3; i < n; i++, p += 4) {
        const k = rgba[p];
        keys[i] = k;
        if (k < low) low = k;
        if (k > high) high = k;
      }
    } else {
      for (let i = 0, p = 0; i < n; i++, p += 4) {
        const r = rgba[p], g = rgba[p + 1], b = rgba[p + 2];
        const k = r > g ? (r > b ? r : b) : (g > b ? g : b);
        keys[i] = k;
        if (k < low) low = k;
        if (k > high) high = k;
      }
    }
    const ink = new Float32Array(256);
    for (let k = 0; k < 256; k++) ink[k] = k / 255;  // float32 grey levels (or opacities)
    let inverted = false;
    if (!transparent) {
      const background = median(keys, width, height, -1, ink);
      inverted = background > 0.5;
      for (let k = 0; k < 256; k++) {
        const v = f32(inverted ? background - ink[k] : ink[k] - background);
        ink[k] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    const strongest = Math.max(ink[low], ink[high]);
    if (strongest < BLANK_CONTRAST) return {image: null, box: null, note: BLANK_NOTE, inverted};
    for (let k = 0; k < 256; k++) {
      const v = f32(ink[k] / strongest);
      ink[k] = v < NOISE_FLOOR ? 0 : v;
    }
    let top = height, bottom = 0, left = width, right = 0;  // the ink's bounding box
    for (let y = 0; y < height; y++) {
      const row = y * width;
      let x = 0;
      while (x < width && ink[keys[row + x]] === 0) x++;
      if (x === width) continue;
      let last = width - 1;
      while (ink[keys[row + last]] === 0) last--;
      if (x < left) left = x;
      if (last + 1 > right) right = last + 1;
      if (y < top) top = y;
      bottom = y + 1;
    }
    const h = bottom - top, w = right - left, crop = new Float32Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0, i = (top + y) * width + left; x < w; x++, i++) crop[y * w + x] = ink[keys[i]];
    }
    const digit = fitBox(crop, w, h);
    const image = placeCentred(digit.pixels, digit.width, digit.height);
    const zoom = (BOX / Math.max(h, w)) / (SIZE / Math.max(height, width));
    const note = zoom > SMALL_DRAWING_ZOOM
      ? `the digit is small: it was enlarged ${fixed1(zoom)}× more than one filling the picture, so ` +
        "its strokes came out thick; draw it larger, or with a thinner stroke"
      : null;
    return {image, box: [top, left, bottom, right], note, inverted};
  }

  // One byte a pixel, kept between calls: the pad calls on every pointer move, and a fresh 78 KB
  // each time only feeds the garbage collector.
  let keyStore = new Uint8Array(0);
  function keyBuffer(n) {
    if (keyStore.length < n) keyStore = new Uint8Array(n);
    return keyStore;
  }

  // np.median of the picture's outer frame (one pixel wide; every pixel when a side is 2 or less)
  // of one byte per pixel: the alpha (channel 3 of RGBA, then a float64 mean of the middle two) or
  // a key (channel -1) mapped through `levels` (float32: the middle two are averaged in float32).
  function median(data, width, height, channel, levels) {
    const stride = channel < 0 ? 1 : 4, offset = channel < 0 ? 0 : channel;
    const counts = new Uint32Array(256);
    const at = (x, y) => data[(y * width + x) * stride + offset];
    let total = 0;
    if (Math.min(width, height) <= 2) {
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) counts[at(x, y)]++;
      total = width * height;
    } else {
      for (let x = 0; x < width; x++) { counts[at(x, 0)]++; counts[at(x, height - 1)]++; }
      for (let y = 1; y < height - 1; y++) { counts[at(0, y)]++; counts[at(width - 1, y)]++; }
      total = 2 * width + 2 * (height - 2);
    }
    // The middle byte values (for the key case, levels are monotonic in the byte).
    const low = nth(counts, (total - 1) >> 1), high = nth(counts, total >> 1);
    if (!levels) return (low + high) / 2;
    return total % 2 ? levels[low] : f32(f32(levels[low] + levels[high]) / 2);
  }

  function nth(counts, rank) {
    let k = 0;
    for (let below = counts[0]; below <= rank; below += counts[++k]);
    return k;
  }

  // Python's format(x, ".1f"): exact ties (x·4 whole, x·2 not: .25 and .75) go to the even
  // tenth, where JavaScript's toFixed goes up.
  function fixed1(x) {
    if (Number.isInteger(x * 4) && !Number.isInteger(x * 2)) {
      const tenths = Math.floor(x * 10);
      return ((tenths % 2 ? tenths + 1 : tenths) / 10).toFixed(1);
    }
    return x.toFixed(1);
  }

  // Python's round(): half to even.
  function roundHalfEven(x) {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  // The longest side becomes BOX pixels, keeping the aspect ratio: PIL's BOX filter shrinking
  // (each output pixel the mean of the source pixels whose centres fall in its span), its
  // BILINEAR enlarging; then clipped to [0, 1].
  function fitBox(crop, w, h) {
    const scale = BOX / Math.max(h, w);
    const outW = Math.max(1, roundHalfEven(w * scale)), outH = Math.max(1, roundHalfEven(h * scale));
    const filter = scale < 1 ? BOX_FILTER : BILINEAR_FILTER;
    const pixels = resize(crop, w, h, outW, outH, filter);
    for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i] < 0 ? 0 : pixels[i] > 1 ? 1 : pixels[i];
    return {pixels, width: outW, height: outH};
  }

  const BOX_FILTER = {support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0)};
  const BILINEAR_FILTER = {support: 1, weight: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; }};

  // Pillow's ImagingResampleInner for a float ("F") image (src/libImaging/Resample.c): two
  // passes, each sum in double and each pass stored as float32, a pass whose size does not change
  // skipped. The horizontal pass comes first (over only the rows the vertical pass reads), except
  // where the height shrinks by more than twice as many pixels as the width (Pillow 13: vertical
  // first); the order changes the last bit of some pixels.
  function resize(src, inW, inH, outW, outH, filter) {
    if (outW === inW && outH === inH) return Float32Array.from(src);
    const verticalFirst = outH < inH && inH - outH > 2 * (inW - outW);
    const vertical = outH !== inH ? coefficients(inH, outH, filter) : null;
    const horizontal = outW !== inW ? coefficients(inW, outW, filter) : null;
    if (verticalFirst) {
      const rows = resampleColumns(src, inW, 0, vertical, outH);
      return horizontal ? resampleRows(rows, inW, 0, horizontal, outW, outH) : rows;
    }
    if (!horizontal) return resampleColumns(src, inW, 0, vertical, outH);
    const first = vertical ? vertical.bounds[0] : 0;
    const last = vertical ? vertical.bounds[2 * outH - 2] + vertical.bounds[2 * outH - 1] : inH;
    const rows = resampleRows(src, inW, first, horizontal, outW, last - first);
    return vertical ? resampleColumns(rows, outW, first, vertical, outH) : rows;
  }

  // Each of `height` rows (from source row `offset` on) resampled to `outW` pixels.
  function resampleRows(src, width, offset, c, outW, height) {
    const out = new Float32Array(outW * height);
    for (let y = 0; y < height; y++) {
      const row = (y + offset) * width;
      for (let x = 0; x < outW; x++) {
        const start = row + c.bounds[2 * x], count = c.bounds[2 * x + 1], k = x * c.ksize;
        let sum = 0;
        for (let j = 0; j < count; j++) sum += src[start + j] * c.weights[k + j];
        out[y * outW + x] = sum;
      }
    }
    return out;
  }

  // Each column resampled to `outH` pixels; `src` holds the source rows from `offset` on.
  function resampleColumns(src, width, offset, c, outH) {
    const out = new Float32Array(width * outH);
    for (let y = 0; y < outH; y++) {
      const start = c.bounds[2 * y] - offset, count = c.bounds[2 * y + 1], k = y * c.ksize;
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let j = 0; j < count; j++) sum += src[(start + j) * width + x] * c.weights[k + j];
        out[y * width + x] = sum;
      }
    }
    return out;
  }

  // Pillow's precompute_coeffs: for each output pixel, the first source pixel it reads, how many,
  // and their normalised weights (the filter at source pixel centres, scaled when shrinking).
  function coefficients(inSize, outSize, filter) {
    const scale = inSize / outSize, filterScale = scale < 1 ? 1 : scale;
    const support = filter.support * filterScale, ksize = Math.ceil(support) * 2 + 1;
    const weights = new Float64Array(outSize * ksize), bounds = new Int32Array(outSize * 2);
    for (let xx = 0; xx < outSize; xx++) {
      const centre = (xx + 0.5) * scale, ss = 1 / filterScale;
      const xmin = Math.max(0, Math.trunc(centre - support + 0.5));
      const count = Math.min(inSize, Math.trunc(centre + support + 0.5)) - xmin;
      let total = 0;
      for (let x = 0; x < count; x++) {
        const w = filter.weight((x + xmin - centre + 0.5) * ss);
        weights[xx * ksize + x] = w;
        total += w;
      }
      if (total !== 0) for (let x = 0; x < count; x++) weights[xx * ksize + x] /= total;
      bounds[2 * xx] = xmin;
      bounds[2 * xx + 1] = count;
    }
    return {weights, bounds, ksize};
  }

  // The digit in the 28×28 field, its centre of mass at (14, 14): the shift rounded half to
  // even and clamped so that no ink leaves the field.
  function placeCentred(digit, w, h) {
    const [cy, cx] = centreOfMass(digit, w, h);
    const top = Math.min(Math.max(roundHalfEven(CENTRE - cy), 0), SIZE - h);
    const left = Math.min(Math.max(roundHalfEven(CENTRE - cx), 0), SIZE - w);
    const field = new Float32Array(SIZE * SIZE);
    for (let y = 0; y < h; y++) field.set(digit.subarray(y * w, (y + 1) * w), (top + y) * SIZE + left);
    return field;
  }

  // The sums as NumPy takes them in float32: the whole and each row pairwise, each column one
  // row after another (pairwise too when there is one column); then the moments in double.
  function centreOfMass(digit, w, h) {
    const total = pairwiseSum(digit, 0, w * h, 1);
    let rowMoment = 0, colMoment = 0;
    for (let y = 0; y < h; y++) rowMoment += pairwiseSum(digit, y * w, w, 1) * y;
    for (let x = 0; x < w; x++) {
      let column = 0;
      if (w === 1) column = pairwiseSum(digit, 0, h, 1);
      else for (let y = 0; y < h; y++) column = f32(column + digit[y * w + x]);
      colMoment += column * x;
    }
    return [rowMoment / total, colMoment / total];
  }

  // NumPy's float32 pairwise summation (numpy/_core/src/umath/loops_utils.h.src).
  function pairwiseSum(a, start, n, stride) {
    if (n < 8) {
      let sum = -0;
      for (let i = 0; i < n; i++) sum = f32(sum + a[start + i * stride]);
      return sum;
    }
    if (n <= 128) {
      const r = new Float64Array(8);
      for (let j = 0; j < 8; j++) r[j] = a[start + j * stride];
      let i = 8;
      for (; i < n - (n % 8); i += 8) {
        for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[start + (i + j) * stride]);
      }
      let sum = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
      for (; i < n; i++) sum = f32(sum + a[start + i * stride]);
      return sum;
    }
    const half = Math.floor(n / 2) - (Math.floor(n / 2) % 8);
    return f32(pairwiseSum(a, start, half, stride) + pairwiseSum(a, start + half * stride, n - half, stride));
  }

  // A 28×28 image (0–1) -> the network's input: standardised with the checkpoint's mean and std
  // in float32, as torch does, then zero-padded (the zeros come after standardising) to the
  // bundle's input side (32 for lenet5).
  function modelInput(image, bundle) {
    const pad = Math.max((bundle.input_size - SIZE) >> 1, 0), side = SIZE + 2 * pad;
    const mean = f32(bundle.mean), std = f32(bundle.std), out = new Float32Array(side * side);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        out[(y + pad) * side + x + pad] = f32(f32(image[y * SIZE + x] - mean) / std);
      }
    }
    return out;
  }

  // An input flipped left to right: what a checkpoint trained with test-time mirroring also sees.
  function mirroredInput(input) {
    const side = Math.round(Math.sqrt(input.length)), out = new Float32Array(input.length);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) out[y * side + x] = input[y * side + side - 1 - x];
    }
    return out;
  }

  // Every input the network runs on for one image: itself, and its mirror image when the bundle
  // says so (the page averages the softmax of the two, as lenet_core's class_probabilities does).
  function modelInputs(image, bundle) {
    const input = modelInput(image, bundle);
    return bundle.mirror ? [input, mirroredInput(input)] : [input];
  }

  Object.assign(globalThis, {prepareDrawing, modelInput, mirroredInput, modelInputs});
})();
