/** The bundled example models and their data slices. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import type { Value } from '../../src/interp/types.js';

export interface Example {
  name: string;
  dir: string;
  model: string;
  testX: () => Value;
  testY: () => Value;
  calib: () => Value;
  /** What train.py printed: float accuracy on the labelled test slice. */
  expected: () => { accuracy: number; test_count: number };
}

export const EXAMPLE_NAMES = ['fashion-mnist', 'fashion-mnist-dwsep', 'fashion-mnist-residual'];

export function example(name: string): Example {
  const dir = join('examples', name);
  return {
    name,
    dir,
    model: join(dir, 'model.onnx'),
    testX: () => readNpy(join(dir, 'test_x.npy')),
    testY: () => readNpy(join(dir, 'test_y.npy')),
    calib: () => readNpy(join(dir, 'calib.npy')),
    expected: () => JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { accuracy: number; test_count: number },
  };
}

export function availableExamples(): Example[] {
  return EXAMPLE_NAMES.map(example).filter((e) => existsSync(e.model));
}

/** Top-1 accuracy of logits [N, classes] against integer labels [N]. */
export function accuracy(logits: Value, labels: Value): number {
  const [n, k] = logits.shape;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (Number(logits.data[i * k + c]) > Number(logits.data[i * k + best])) best = c;
    if (best === Number(labels.data[i])) correct++;
  }
  return correct / n;
}
