/**
 * @file Byte-level encodings of the WebAssembly binary format: LEB128 integers, IEEE floats in
 * little-endian order, and length-prefixed UTF-8 names. A growable byte sink collects them, so
 * the module builder never concatenates arrays in hot paths.
 */

export class WasmEncodeError extends Error {
  override readonly name = 'WasmEncodeError';
}

/** A growable little-endian byte buffer. */
export class ByteSink {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  bytes(bs: ArrayLike<number>): void {
    this.reserve(bs.length);
    this.buf.set(bs, this.len);
    this.len += bs.length;
  }

  /** Unsigned LEB128 of a 32-bit value. */
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WasmEncodeError(`u32: ${v} is out of range`);
    let x = v;
    do {
      const low = x & 0x7f;
      x = Math.floor(x / 128);
      this.byte(x === 0 ? low : low | 0x80);
    } while (x !== 0);
  }

  /** Signed LEB128 of a 32-bit value (numbers in [-2^31, 2^32) are taken modulo 2^32). */
  s32(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new WasmEncodeError(`s32: ${v} is out of range`);
    this.s64(BigInt(v | 0));
  }

  /** Signed LEB128 of a 64-bit value (bigints in [-2^63, 2^64) are taken modulo 2^64). */
  s64(v: bigint): void {
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new WasmEncodeError(`s64: ${v} is out of range`);
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const low = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (low & 0x40) === 0) || (x === -1n && (low & 0x40) !== 0);
      this.byte(done ? low : low | 0x80);
      if (done) return;
    }
  }

  f32(v: number): void {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.byte(view.getUint8(i));
  }

  f64(v: number): void {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(view.getUint8(i));
  }

  /** A name: its UTF-8 byte length then the bytes. */
  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  /** Appends another sink's contents prefixed by their byte length (sections, function bodies). */
  sized(inner: ByteSink): void {
    this.u32(inner.length);
    this.bytes(inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
