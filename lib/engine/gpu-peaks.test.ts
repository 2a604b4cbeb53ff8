// The fp32 peak table: names as Dawn's adapter info and torch.cuda.get_device_name() spell them.
import { describe, expect, it } from 'vitest';
import { fp32Peak } from './gpu-peaks';

describe('fp32Peak', () => {
  it('matches the most specific name first and the first name that matches', () => {
    expect(fp32Peak('NVIDIA H200')?.fp32Tflops).toBe(66.9);
    expect(fp32Peak('NVIDIA H100 PCIe')?.name).toBe('NVIDIA H100 PCIe');
    expect(fp32Peak('NVIDIA H100 80GB HBM3')?.name).toBe('NVIDIA H100 SXM');
    expect(fp32Peak('NVIDIA L4')?.fp32Tflops).toBe(30.3);
    expect(fp32Peak('NVIDIA L40S')?.fp32Tflops).toBe(91.6);
    expect(fp32Peak(undefined, 'hopper', 'NVIDIA A100-SXM4-80GB')?.fp32Tflops).toBe(19.5);
  });

  it('is null for an unknown GPU', () => {
    expect(fp32Peak('AMD Radeon Pro', null, '')).toBeNull();
  });
});
