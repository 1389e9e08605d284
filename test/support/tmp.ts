/** Temporary folders for one test file, removed once its tests are done (kept when
 * QGC_KEEP_TMP is set, to look at what a failing test wrote). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A function that makes a new empty folder named `<prefix>XXXXXX` under the system's temp
 * folder; every folder it made is removed after the file's tests. */
export function tempFolders(prefix: string): () => string {
  const roots: string[] = [];
  afterAll(() => {
    if (!process.env.QGC_KEEP_TMP) for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    roots.push(d);
    return d;
  };
}
