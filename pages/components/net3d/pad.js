// The drawing pad: white ink on black, as the Draw page's canvas and MNIST have it, drawn with
// pointer events (mouse, touch and pen alike). `onInk` is called at most once a frame while the
// pen moves, with the pad's RGBA pixels; nothing goes to the server.

export const SIDE = 280;  // pixels: ten a 28×28 pixel, as on the Draw page
export const STROKE = 26;  // the Draw page's default brush

export class Pad {
  constructor(canvas, onInk) {
    this.canvas = canvas;
    this.onInk = onInk;
    canvas.width = canvas.height = SIDE;
    this.ctx = canvas.getContext("2d", {willReadFrequently: true});
    this.strokes = [];  // each a list of [x, y]: kept so that a remount can redraw them
    this.clear(false);
    canvas.style.touchAction = "none";  // a finger draws instead of scrolling the page
    canvas.addEventListener("pointerdown", (e) => this._down(e));
    canvas.addEventListener("pointermove", (e) => this._move(e));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (e) => this._up(e));
  }

  _at(e) {
    const box = this.canvas.getBoundingClientRect();
    return [(e.clientX - box.left) * SIDE / box.width, (e.clientY - box.top) * SIDE / box.height];
  }

  _down(e) {
    this.canvas.setPointerCapture(e.pointerId);
    this.drawing = true;
    this.strokes.push([this._at(e)]);
    this._paint(this.strokes.at(-1), 0);
    this._changed(e.timeStamp);
  }

  _move(e) {
    if (!this.drawing) return;
    const stroke = this.strokes.at(-1), from = stroke.length - 1;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const c of events.length ? events : [e]) stroke.push(this._at(c));
    this._paint(stroke, from);
    this._changed(e.timeStamp);
  }

  _up(e) {
    if (!this.drawing) return;
    this.drawing = false;
    this._changed(e.timeStamp, true);
  }

  _paint(stroke, from) {
    const ctx = this.ctx;
    Object.assign(ctx, {strokeStyle: "#fff", fillStyle: "#fff", lineWidth: STROKE, lineCap: "round", lineJoin: "round"});
    if (stroke.length === 1) {
      ctx.beginPath(); ctx.arc(stroke[0][0], stroke[0][1], STROKE / 2, 0, 2 * Math.PI); ctx.fill(); return;
    }
    ctx.beginPath();
    ctx.moveTo(...stroke[Math.max(0, from)]);
    for (let k = Math.max(1, from + 1); k < stroke.length; k++) ctx.lineTo(...stroke[k]);
    ctx.stroke();
  }

  // once a frame at most: the first change since the last frame keeps its time, for the timings
  _changed(since, ended = false) {
    this.since = this.since ?? since;
    this.ended = this.ended || ended;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const since = this.since, ended = this.ended;
      this.since = null; this.ended = false;
      this.onInk(this.pixels(), since, ended);
    });
  }

  pixels() { return this.ctx.getImageData(0, 0, SIDE, SIDE).data; }

  clear(notify = true) {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, SIDE, SIDE);
    this.strokes = [];
    if (notify) this.onInk(this.pixels(), performance.now(), true);
  }

  redraw(strokes) {
    this.clear(false);
    this.strokes = strokes || [];
    for (const stroke of this.strokes) this._paint(stroke, 0);
    this.onInk(this.pixels(), performance.now(), true);
  }
}
