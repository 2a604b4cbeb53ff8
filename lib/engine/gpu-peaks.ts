// Known fp32 peaks of GPUs (non-tensor-core FMA throughput at boost clock, vendors' data sheets), so the GPU
// benchmark can say what share of the chip a step reaches. Matched on the adapter's or PyTorch's device name.

export interface GpuPeak {
  name: string;
  fp32Tflops: number;
}

// Most specific first: "H100 PCIe" before "H100".
const PEAKS: [RegExp, GpuPeak][] = [
  [/H200/i, { name: 'NVIDIA H200', fp32Tflops: 66.9 }],
  [/H100.*(PCIe|PCI-E)/i, { name: 'NVIDIA H100 PCIe', fp32Tflops: 51.2 }],
  [/H100.*NVL/i, { name: 'NVIDIA H100 NVL', fp32Tflops: 60 }],
  [/H100/i, { name: 'NVIDIA H100 SXM', fp32Tflops: 66.9 }],
  [/GH200/i, { name: 'NVIDIA GH200', fp32Tflops: 66.9 }],
  [/A100/i, { name: 'NVIDIA A100', fp32Tflops: 19.5 }],
  [/L40S/i, { name: 'NVIDIA L40S', fp32Tflops: 91.6 }],
  [/L40/i, { name: 'NVIDIA L40', fp32Tflops: 90.5 }],
  [/\bL4\b/i, { name: 'NVIDIA L4', fp32Tflops: 30.3 }],
  [/A10G/i, { name: 'NVIDIA A10G', fp32Tflops: 31.2 }],
  [/\bA10\b/i, { name: 'NVIDIA A10', fp32Tflops: 31.2 }],
  [/RTX 4090/i, { name: 'NVIDIA RTX 4090', fp32Tflops: 82.6 }],
  [/RTX 3090/i, { name: 'NVIDIA RTX 3090', fp32Tflops: 35.6 }],
  [/\bT4\b/i, { name: 'NVIDIA T4', fp32Tflops: 8.1 }],
  [/V100/i, { name: 'NVIDIA V100', fp32Tflops: 15.7 }],
];

/** The peak of the first name that matches a known GPU; null when none does (pass the peak by hand then). */
export function fp32Peak(...names: (string | null | undefined)[]): GpuPeak | null {
  for (const n of names) {
    if (!n) continue;
    for (const [re, peak] of PEAKS) if (re.test(n)) return peak;
  }
  return null;
}
