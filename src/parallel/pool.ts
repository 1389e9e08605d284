/**
 * A pool of worker threads that runs one task module over many items, for work that is
 * independent per item (calibration samples today; the bit-width search's candidates and
 * AdaRound's per-layer problems are meant to reuse it).
 *
 * From the caller's side it is synchronous: `map` blocks (Atomics.wait on a shared counter)
 * and reads the workers' answers with `receiveMessageOnPort`, so a synchronous pipeline can use
 * it without becoming async. Results reach the caller in item order whatever thread finished
 * first, so a caller that folds them in that order gets the same answer for any thread count.
 *
 * A task module (see `TaskModule`) is loaded in each worker by URL: `taskUrl(import.meta.url,
 * 'name')` names a module next to the caller: `.js` in the built dist/, `.ts` under tsx or
 * vitest (then bundled for the worker, see `loadable`).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CompileError, type ErrorCodeValue, type ErrorLocation } from '../errors.js';

/** What a task module exports: `init` runs once per worker on the setup value, `run` per item.
 * `transfer` names buffers of a result to move instead of copy (they must be the result's own). */
export interface TaskModule<Setup, State, Item, Result> {
  init(setup: Setup): State;
  run(state: State, item: Item): Result;
  transfer?(result: Result): ArrayBuffer[];
}

/** The module `name` (no extension) in the folder of the module whose import.meta.url is `from`,
 * with the caller's own extension: `.ts` when running from source, `.js` from dist/. */
export function taskUrl(from: string, name: string): URL {
  return new URL(`./${name}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
}

/** Threads worth starting on this machine: one per core the process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** Bundles made this process, by source URL. */
const bundles = new Map<string, string>();

/**
 * A URL a worker can import for the module at `url`: itself when it is JavaScript (dist/); for
 * a .ts source (tsx, vitest) a data: URL of it bundled with what it imports, by esbuild (what
 * tsx itself runs on), since Node 20 applies no loader hooks (`--import tsx`) inside workers.
 */
function loadable(url: URL): URL {
  if (!url.pathname.endsWith('.ts')) return url;
  let href = bundles.get(url.href);
  if (href === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as EsbuildApi;
    const out = esbuild.buildSync({ entryPoints: [fileURLToPath(url)], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent' });
    href = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].contents).toString('base64')}`;
    bundles.set(url.href, href);
  }
  return new URL(href);
}

/** The part of esbuild's API used here (a dev dependency, loaded only from .ts sources). */
interface EsbuildApi {
  buildSync(o: { entryPoints: string[]; bundle: true; format: 'esm'; platform: 'node'; target: string; write: false; logLevel: 'silent' }): { outputFiles: { contents: Uint8Array }[] };
}

/** What a worker posts back for one item (or for its set-up, index -1). */
export type WorkerAnswer =
  | { index: number; ok: true; result: unknown }
  | { index: number; ok: false; error: SerializedError };

/** An exception thrown in a worker, as it crosses the thread boundary. */
export interface SerializedError {
  message: string;
  stack?: string;
  compile?: { code: ErrorCodeValue; where: ErrorLocation; hint: string };
}

/** The error to throw on the caller's thread: a CompileError stays one (same code, place, hint). */
function revive(e: SerializedError): Error {
  if (e.compile) return new CompileError(e.compile.code, e.message, e.compile.where, e.compile.hint);
  const err = new Error(`in a worker thread: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  return err;
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  inFlight: number;
}

export class WorkerPool<Item, Result> {
  readonly threads: number;
  private readonly slots: Slot[];
  /** Bumped by a worker after each answer it posts: what `map` waits on. */
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;

  /** Starts `threads` workers, each loading `task` and calling its `init(setup)` (the setup value
   * is copied to every worker once). */
  constructor(task: URL, setup: unknown, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`a worker pool needs at least one thread, got ${threads}`);
    this.threads = threads;
    const entry = loadable(taskUrl(import.meta.url, 'worker'));
    const taskHref = loadable(task).href;
    this.slots = Array.from({ length: threads }, () => {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(entry, { workerData: { task: taskHref, setup, port: port2, signal: this.signal }, transferList: [port2] });
      worker.unref();
      return { worker, port: port1, inFlight: 0 };
    });
  }

  /**
   * Runs every item of `items` (read lazily, at most two per thread ahead of the results handed
   * back) and calls `onResult(result, index)` in item order. The first failing item (in item
   * order) throws its error here, as a CompileError when it was one.
   */
  map(items: Iterable<Item>, onResult: (result: Result, index: number) => void): void {
    if (this.closed) throw new Error('internal: the worker pool is closed');
    const it = items[Symbol.iterator]();
    const done = new Map<number, WorkerAnswer>();
    const owner = new Map<number, Slot>();
    let sent = 0;
    let delivered = 0;
    let exhausted = false;
    const ahead = 2 * this.threads;
    for (;;) {
      // Hand out items to idle threads, keeping the results buffered ahead bounded.
      for (const slot of this.slots) {
        while (!exhausted && slot.inFlight < 2 && sent - delivered < ahead) {
          const next = it.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          slot.port.postMessage({ index: sent, item: next.value });
          owner.set(sent, slot);
          slot.inFlight++;
          sent++;
        }
      }
      if (exhausted && delivered === sent) return;
      const seen = Atomics.load(this.signal, 0);
      let got = false;
      for (const slot of this.slots) {
        for (let m = receiveMessageOnPort(slot.port); m !== undefined; m = receiveMessageOnPort(slot.port)) {
          const a = m.message as WorkerAnswer;
          if (a.index < 0) {
            if (!a.ok) throw revive(a.error); // the task module failed to load or init
            continue;
          }
          done.set(a.index, a);
          owner.get(a.index)!.inFlight--;
          owner.delete(a.index);
          got = true;
        }
      }
      for (let a = done.get(delivered); a !== undefined; a = done.get(delivered)) {
        done.delete(delivered);
        if (!a.ok) throw revive(a.error);
        onResult(a.result as Result, delivered);
        delivered++;
      }
      // Sleep until some worker answers (the timeout only guards against a missed wake-up).
      if (!got) Atomics.wait(this.signal, 0, seen, 1000);
    }
  }

  /** Stops the workers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      s.port.close();
      void s.worker.terminate();
    }
  }
}
