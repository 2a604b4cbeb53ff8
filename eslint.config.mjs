// Lint: Next.js core web vitals + TypeScript rules, the layer rule from the design (components never import the engine),
// and no tf.addN (wrong on WebGPU past 7 inputs).
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: ['.next/**', 'node_modules/**', 'public/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts', '.gpubench/**'],
  },
  {
    files: ['components/**/*.{ts,tsx}', 'app/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@tensorflow/*'], message: 'UI code never imports tfjs: it runs in the worker.' },
            { group: ['**/lib/engine/*', '@/lib/engine/*'], message: 'UI code talks to the engine through lib/train-worker/client and lib/train-worker/protocol.' },
          ],
        },
      ],
    },
  },
  {
    // Data-set text is always rendered as text: no raw HTML from the studio's components (e2e/studio.spec.ts tries).
    files: ['components/**/*.tsx', 'app/**/*.tsx'],
    rules: { 'react/no-danger': 'error' },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['react', 'react-dom', '**/components/*'], message: 'lib/ does not import React.' }] }],
    },
  },
  {
    // tf.addN drops inputs past WebGPU's storage-buffer limit without an error (lib/engine/add-n.ts says how).
    files: ['lib/**/*.ts', 'scripts/**/*.ts', 'workers/**/*.ts'],
    ignores: ['lib/engine/add-n.ts', 'scripts/webgpu-kernels-entry.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='tf'][property.name='addN']", message: 'Use sumTensors (lib/engine/add-n.ts): tf.addN silently drops inputs past 7 on WebGPU.' }],
    },
  },
];

export default config;
