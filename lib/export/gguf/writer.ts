// Writes GGUF v3, llama.cpp's model file (ggml's docs/gguf.md; gguf-py's gguf_writer.py and constants.py): a header,
// typed key/value metadata, tensor infos (ggml dimension order, innermost first) and 32-byte aligned tensor data.
// Hand-written because no maintained JavaScript package writes GGUF: @huggingface/gguf, hyllama and node-llama-cpp's
// readGgufFileInfo only read it. Tensors arrive in PyTorch's row-major shape; ggml's ne[] is that shape reversed.
import { encodeTensor, type GgmlType } from './quant';

/** gguf-py's GGUFValueType numbers. */
const VT = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;
const ALIGNMENT = 32; // general.alignment's default; we do not write the key
const enc = new TextEncoder();

/** Growable little-endian byte buffer. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = enc.encode(s);
    this.u64(b.length);
    this.raw(b);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

interface PendingTensor {
  name: string;
  ne: number[]; // ggml order
  type: GgmlType;
  data: Uint8Array;
}

const pad = (n: number) => (ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT;

/** Collects metadata and tensors, then lays out one GGUF file. Keys are written in the order they are added. */
export class GgufWriter {
  private kv = new Bytes();
  private kvCount = 0;
  private keys = new Set<string>();
  private tensors: PendingTensor[] = [];

  private key(k: string, type: number): Bytes {
    if (this.keys.has(k)) throw new Error(`GGUF key ${k} written twice`);
    this.keys.add(k);
    this.kvCount++;
    this.kv.str(k);
    this.kv.u32(type);
    return this.kv;
  }
  u32(k: string, v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`GGUF key ${k}: ${v} is not a u32`);
    this.key(k, VT.u32).u32(v);
    return this;
  }
  f32(k: string, v: number): this {
    this.key(k, VT.f32).f32(v);
    return this;
  }
  bool(k: string, v: boolean): this {
    this.key(k, VT.bool).u8(v ? 1 : 0);
    return this;
  }
  string(k: string, v: string): this {
    this.key(k, VT.string).str(v);
    return this;
  }
  stringArray(k: string, values: readonly string[]): this {
    const b = this.key(k, VT.array);
    b.u32(VT.string);
    b.u64(values.length);
    for (const s of values) b.str(s);
    return this;
  }
  i32Array(k: string, values: readonly number[]): this {
    const b = this.key(k, VT.array);
    b.u32(VT.i32);
    b.u64(values.length);
    for (const v of values) b.i32(v);
    return this;
  }
  f32Array(k: string, values: readonly number[]): this {
    const b = this.key(k, VT.array);
    b.u32(VT.f32);
    b.u64(values.length);
    for (const v of values) b.f32(v);
    return this;
  }
  has(k: string): boolean {
    return this.keys.has(k);
  }

  /** Adds a tensor given in PyTorch's shape (row-major, last dimension contiguous), encoded as `type`. */
  tensor(name: string, shape: readonly number[], data: Float32Array, type: GgmlType): this {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`GGUF tensor ${name}: shape [${shape}] holds ${count} values, data has ${data.length}`);
    if (this.tensors.some((t) => t.name === name)) throw new Error(`GGUF tensor ${name} added twice`);
    this.tensors.push({ name, ne: [...shape].reverse(), type, data: encodeTensor(data, shape[shape.length - 1], type, name) });
    return this;
  }

  /** The whole file: header, metadata, tensor infos, then each tensor's bytes at a 32-byte aligned offset. */
  toBytes(): Uint8Array {
    const head = new Bytes();
    head.raw(enc.encode('GGUF'));
    head.u32(3);
    head.u64(this.tensors.length);
    head.u64(this.kvCount);
    head.raw(this.kv.bytes());
    let offset = 0;
    const offsets: number[] = [];
    for (const t of this.tensors) {
      head.str(t.name);
      head.u32(t.ne.length);
      for (const d of t.ne) head.u64(d);
      head.u32(t.type);
      head.u64(offset);
      offsets.push(offset);
      offset += t.data.length + pad(t.data.length);
    }
    const start = head.length + pad(head.length);
    const out = new Uint8Array(start + offset);
    out.set(head.bytes(), 0);
    this.tensors.forEach((t, i) => out.set(t.data, start + offsets[i]));
    return out;
  }
}
