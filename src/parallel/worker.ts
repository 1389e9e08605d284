/**
 * The entry of every pool worker (pool.ts): loads the task module, runs its `init` on the set-up
 * value, then answers each item on its port and bumps the shared signal the caller waits on.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { CompileError } from '../errors.js';
import type { SerializedError, TaskModule, WorkerAnswer } from './pool.js';

const { task, setup, port, signal } = workerData as { task: string; setup: unknown; port: MessagePort; signal: Int32Array };

function serialize(e: unknown): SerializedError {
  if (e instanceof CompileError) return { message: e.message, compile: { code: e.code, where: e.where, hint: e.hint } };
  if (e instanceof Error) return { message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { message: String(e) };
}

function answer(a: WorkerAnswer, transfer: ArrayBuffer[] = []): void {
  port.postMessage(a, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

try {
  const mod = (await import(task)) as TaskModule<unknown, unknown, unknown, unknown>;
  const state = mod.init(setup);
  port.on('message', (msg: { index: number; item: unknown }) => {
    try {
      const result = mod.run(state, msg.item);
      answer({ index: msg.index, ok: true, result }, mod.transfer?.(result) ?? []);
    } catch (e) {
      answer({ index: msg.index, ok: false, error: serialize(e) });
    }
  });
} catch (e) {
  answer({ index: -1, ok: false, error: serialize(e) });
}
