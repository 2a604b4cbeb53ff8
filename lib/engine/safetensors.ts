// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): a u64 header length,
// a JSON header, then raw little-endian tensor bytes. No maintained npm package reads and writes it, so it is here.
import type { HostTensor } from './types';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL' | 'F64' | 'I8' | 'I16' | 'U16';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};
const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Raw bytes of this tensor (a view into the file). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`Invalid safetensors file: ${message}`);
    this.name = 'SafetensorsError';
  }
}

interface RawEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parses and bounds-checks a safetensors file. Tensor bytes are views into `buf` (no copy). */
export function readSafetensors(buf: Uint8Array): SafetensorsFile {
  if (buf.byteLength < 8) throw new SafetensorsError(`file is ${buf.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw new SafetensorsError(`header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > buf.byteLength) throw new SafetensorsError(`header length ${n} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const metadata = parseMetadata(header.__metadata__);
  const entries: [string, RawEntry][] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    entries.push([name, checkEntry(name, value)]);
  }
  checkCoverage(entries, dataLen);
  const tensors = new Map<string, TensorEntry>();
  for (const [name, e] of entries) {
    const [begin, end] = e.data_offsets;
    tensors.set(name, { dtype: e.dtype as SafetensorsDtype, shape: e.shape, bytes: buf.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError('__metadata__ must be an object of strings');
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} must be a string`);
  }
  return raw as Record<string, string>;
}

function checkEntry(name: string, value: unknown): RawEntry {
  const e = value as Partial<RawEntry> | null;
  if (!e || typeof e !== 'object') throw new SafetensorsError(`entry ${name} is not an object`);
  if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) throw new SafetensorsError(`tensor ${name} has unknown dtype ${String(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor ${name} has an invalid shape`);
  }
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[1] < off[0]) {
    throw new SafetensorsError(`tensor ${name} has invalid data_offsets`);
  }
  const expected = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype as SafetensorsDtype];
  if (off[1] - off[0] !== expected) {
    throw new SafetensorsError(`tensor ${name}: ${off[1] - off[0]} bytes for shape [${e.shape}] of ${e.dtype}, expected ${expected}`);
  }
  return e as RawEntry;
}

/** The spec forbids holes and overlaps: sorted by offset, tensors must tile the data section exactly. */
function checkCoverage(entries: [string, RawEntry][], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let pos = 0;
  for (const [name, e] of sorted) {
    const [begin, end] = e.data_offsets;
    if (begin !== pos) throw new SafetensorsError(`tensor ${name} starts at ${begin}, expected ${pos} (hole or overlap)`);
    pos = end;
  }
  if (pos !== dataLen) throw new SafetensorsError(`tensors cover ${pos} bytes but the data section holds ${dataLen}`);
}

/** Widens F32, F16, BF16 (and F64) tensor bytes to a fresh Float32Array. */
export function toFloat32(entry: TensorEntry): Float32Array {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const copy = entry.bytes.slice(); // own, aligned buffer (views into a file may be unaligned)
  switch (entry.dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, count);
    case 'F64':
      return Float32Array.from(new Float64Array(copy.buffer, 0, count));
    case 'F16': {
      const src = new Uint16Array(copy.buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(src[i]);
      return out;
    }
    case 'BF16': {
      const src = new Uint16Array(copy.buffer, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new SafetensorsError(`tensor of dtype ${entry.dtype} cannot be read as floating point`);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Rounds a float32 to the nearest float16 (ties to even), as numpy and torch do. */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    const m = mant | 0x800000; // implicit leading 1
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && out & 1)) out++; // carry into the exponent is correct rounding
  return out;
}

/** Rounds a float32 to bfloat16 bits (nearest, ties to even), as torch's .to(torch.bfloat16). */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40; // NaN stays NaN
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

export interface WriteOptions {
  dtype?: 'F32' | 'F16' | 'BF16';
  metadata?: Record<string, string>;
}

/** Writes tensors in insertion order; the header is padded with spaces to a multiple of 8 bytes. */
export function writeSafetensors(tensors: Record<string, HostTensor>, opts: WriteOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  const bytesPer = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = {};
  if (opts.metadata) header.__metadata__ = opts.metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + count * bytesPer] };
    offset += count * bytesPer;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const data = tensors[name].data;
    if (dtype === 'F32') {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      const h = new Uint16Array(data.length);
      const round = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
      for (let i = 0; i < data.length; i++) h[i] = round(data[i]);
      out.set(new Uint8Array(h.buffer), pos);
    }
    pos += data.length * bytesPer;
  }
  return out;
}
