/** test/support/tools.ts: a test whose tool is missing is skipped with the reason, or fails in
 * CI; QGC_TEST_HIDE_TOOLS makes a present tool look missing. */
import { afterEach, describe, expect, it } from 'vitest';
import { commandExists, describeNeeding, hiddenTools, inCi, missingMessage, needs, pathExists, probe, verdict, type Requirement } from './support/tools.js';

const present: Requirement = { id: 'sh', what: "command 'sh'", install: 'apt-get install dash', present: true };
const missing: Requirement = { id: 'frob', what: "command 'frob'", install: 'apt-get install frob', present: false };
const alsoMissing: Requirement = { id: 'data', what: 'frob data (/nowhere)', install: 'apt-get install frob-data', present: false };

/** A stand-in for vitest's test context: records the skip note and stops like ctx.skip does. */
function fakeContext() {
  const notes: string[] = [];
  const ctx = {
    skip: (note: string): never => {
      notes.push(note);
      throw new Error('skipped');
    },
  };
  return { ctx, notes };
}

const saved = { CI: process.env.CI, HIDE: process.env.QGC_TEST_HIDE_TOOLS };
afterEach(() => {
  for (const [k, v] of [['CI', saved.CI], ['QGC_TEST_HIDE_TOOLS', saved.HIDE]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('needs', () => {
  it('runs when every requirement is present', () => {
    expect(verdict([present], false)).toEqual({ kind: 'run' });
    expect(verdict([present], true)).toEqual({ kind: 'run' });
    const { ctx, notes } = fakeContext();
    needs(ctx, present);
    expect(notes).toEqual([]);
  });

  it('skips locally with what is missing and how to install it', () => {
    delete process.env.CI;
    expect(verdict([present, missing, alsoMissing], false)).toEqual({
      kind: 'skip', message: "needs command 'frob' is missing (apt-get install frob); frob data (/nowhere) is missing (apt-get install frob-data)",
    });
    const { ctx, notes } = fakeContext();
    expect(() => needs(ctx, present, missing)).toThrow('skipped');
    expect(notes).toEqual(["needs command 'frob' is missing (apt-get install frob)"]);
  });

  it('fails in CI (CI=true or CI=1) instead of skipping', () => {
    expect(verdict([missing], true)).toEqual({ kind: 'fail', message: "required test tool missing in CI: command 'frob' is missing (apt-get install frob)" });
    for (const ci of ['true', '1']) {
      process.env.CI = ci;
      expect(inCi()).toBe(true);
      const { ctx, notes } = fakeContext();
      expect(() => needs(ctx, missing)).toThrow(/required test tool missing in CI: command 'frob' is missing \(apt-get install frob\)/);
      expect(notes).toEqual([]);
    }
    process.env.CI = 'false';
    expect(inCi()).toBe(false);
  });

  it('a requirement named in QGC_TEST_HIDE_TOOLS is missing even when it is there', () => {
    expect(commandExists('sh', 'x').present).toBe(true);
    expect(pathExists('the root', '/', 'x', 'root').present).toBe(true);
    expect(probe('always', 'always', 'x', () => true).present).toBe(true);
    process.env.QGC_TEST_HIDE_TOOLS = 'sh, root,always';
    expect([...hiddenTools()].sort()).toEqual(['always', 'root', 'sh']);
    expect(commandExists('sh', 'x').present).toBe(false);
    expect(pathExists('the root', '/', 'x', 'root').present).toBe(false);
    expect(probe('always', 'always', 'x', () => true).present).toBe(false);
    expect(commandExists('definitely-not-a-command-qgc', 'x').present).toBe(false);
    expect(missingMessage([commandExists('sh', 'apt-get install dash')])).toBe("command 'sh' is missing (apt-get install dash)");
  });
});

// With a missing requirement the suite's body never runs: one test stands in for it and
// reports skipped (or, in CI, failed) with the reason.
let bodyRan = false;
if (!inCi()) {
  describeNeeding([missing], 'a suite that needs frob', () => {
    bodyRan = true;
    it('is never collected', () => {
      throw new Error('the body of a suite with a missing tool ran');
    });
  });
}
describeNeeding([present], 'a suite whose tools are present', () => {
  it('is collected and runs', () => {
    expect(bodyRan).toBe(false);
  });
});
