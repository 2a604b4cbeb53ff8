// What our own WebGPU programs need of tfjs-backend-webgpu (4.22) when they bring their own WGSL header and pipeline
// (programs with several outputs or read-write inputs, which tfjs's program header cannot express): tensor infos, the
// backend members they call (not public API: a version bump is caught by scripts/webgpu-kernels-entry.ts), a
// pipeline cache lookup and the flat view every binding is passed as.
import type * as tf from '@tensorflow/tfjs';

export interface Info {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

export interface GpuBackend {
  device: { createShaderModule(d: { code: string }): unknown; createComputePipeline(d: unknown): unknown };
  pipelineCache: Record<string, unknown>;
  makeTensorInfo(shape: number[], dtype: tf.DataType): Info;
  uploadToGPU(dataId: object): void;
  incRef(dataId: object): void;
  refCount(dataId: object): number;
  disposeData(dataId: object): void;
  recordAndSubmit(program: unknown, output: Info, inputs: Info[], uniforms: { type: string; data: number[] }[]): void;
}

/** The compute pipeline of `key`, compiled from `code()` the first time it is asked for. */
export function pipelineFor(b: GpuBackend, key: string, code: () => string): unknown {
  if (!(key in b.pipelineCache)) {
    const shader = b.device.createShaderModule({ code: code() });
    b.pipelineCache[key] = b.device.createComputePipeline({ layout: 'auto', compute: { module: shader, entryPoint: 'main' } });
  }
  return b.pipelineCache[key];
}

/** A tensor info seen as one flat array (how every binding of these programs is declared). */
export const flat = (t: Info): Info => ({ dataId: t.dataId, shape: [Math.max(1, t.shape.reduce((a, d) => a * d, 1))], dtype: t.dtype });
