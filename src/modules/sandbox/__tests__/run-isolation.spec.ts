import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxRun } from '../index.js';
import { RunLog } from './sandbox-test-kit.js';

// Per-run compartments in warm isolates (lockdown once per isolate, a fresh Compartment per run): a run sees
// nothing an earlier run left, whether it runs the same flow, another flow of the same org, or another org.
const ORG = 'org-isolation';
const OTHER_ORG = 'org-isolation-other';

const log = new RunLog();
let pool: SandboxPool;

beforeAll(() => {
  // One isolate per org, so that the runs of one org are sure to share it.
  pool = new SandboxPool({ timeoutMs: 3000, maxIsolatesPerOrg: 1, onRun: log.onRun });
});

afterAll(async () => {
  await pool.close();
});

// The first run tries every way to leave something behind, and reports which attempts the sandbox refused.
const LITTER = `
  const secret = input.secret;
  globalThis.leftGlobal = secret;
  globalThis.cachedClosure = () => secret;
  const attempts = {
    objectPrototype: () => { Object.prototype.leftProto = secret; },
    arrayPush: () => { Array.prototype.push = () => secret; },
    jsonParse: () => { JSON.parse = () => secret; },
    mathRandom: () => { Math.random = () => 4; },
    dateNow: () => { Date.now = () => 0; },
    functionPrototype: () => { Function.prototype.cache = () => secret; },
    promiseThen: () => { Promise.prototype.then = function () { return secret; }; },
    setPrototypeOf: () => { Object.setPrototypeOf(Array.prototype, { leftProto: secret }); },
    intlFormat: () => { Intl.DateTimeFormat.prototype.format = () => secret; },
    errorStackHook: () => { Error.prepareStackTrace = () => secret; },
    regexpExec: () => { RegExp.prototype.exec = () => null; },
    stringMethod: () => { String.prototype.trim = () => secret; },
    consoleLog: () => { console.log = () => secret; },
    mathCache: () => { Math.cache = () => secret; },
    symbolRegistryHolder: () => { Symbol.for('cache').description.cache = () => secret; },
  };
  const refused = [];
  for (const [name, attempt] of Object.entries(attempts)) {
    try { attempt(); } catch (e) { refused.push(name); }
  }
  // Work left on the microtask queue after the run returns: it must never run in, or print into, another run.
  (async () => { for (let i = 0; i < 100; i++) await null; console.log('late from the first run'); })();
  return { refused, sameClosure: globalThis.cachedClosure() };`;

const PROBE = `
  console.log('probe');
  const seen = [];
  if (typeof leftGlobal !== 'undefined' || 'leftGlobal' in globalThis) seen.push('global');
  if (typeof cachedClosure !== 'undefined') seen.push('closure');
  if (({}).leftProto !== undefined || [].leftProto !== undefined) seen.push('prototype');
  const list = []; list.push(1); if (list.length !== 1) seen.push('push');
  if (JSON.parse('{"a":1}').a !== 1) seen.push('JSON.parse');
  if (typeof Function.prototype.cache !== 'undefined') seen.push('Function.prototype');
  if (typeof Math.cache !== 'undefined' || Math.random() === 4) seen.push('Math');
  if (Date.now() === 0) seen.push('Date');
  if ('  x '.trim() !== 'x') seen.push('String.prototype');
  const own = {}; own.toString = () => 'mine'; // an own property shadowing a frozen inherited one still works
  if (String(own) !== 'mine') seen.push('override');
  if (!/a/.test('a')) seen.push('RegExp');
  const stack = new Error('x').stack;
  if (typeof stack !== 'string' || stack.includes('first') || String(Error.prepareStackTrace).includes('secret')) seen.push('Error');
  if (new Intl.DateTimeFormat('en', { timeZone: 'UTC' }).format(0).indexOf('1970') < 0) seen.push('Intl');
  if (typeof setTimeout !== 'undefined' || typeof setInterval !== 'undefined') seen.push('timers');
  const then = await Promise.resolve(7);
  if (then !== 7) seen.push('Promise');
  return { seen, dateWorks: Date.now() > 0 && new Date().getFullYear() > 2000, randomWorks: Math.random() < 1 };`;

const CLEAN = { ok: true, value: { seen: [], dateWorks: true, randomWorks: true }, console: ['probe'] };

async function inRun<T>(orgId: string, body: (run: SandboxRun) => Promise<T>): Promise<T> {
  const run = pool.openRun(orgId);
  try {
    return await body(run);
  } finally {
    run.close();
  }
}

describe('per-run compartments', () => {
  it('refuses every change to shared intrinsics, while the run keeps its own global', async () => {
    const result = await inRun(ORG, (run) => run.runCode({ code: LITTER, input: { secret: 's3cret' } }));
    expect(result).toMatchObject({ ok: true, value: { sameClosure: 's3cret' } });
    const refused = (result as unknown as { value: { refused: string[] } }).value.refused;
    // Everything but the run's own global (written before the attempts) is refused; SES accepts and ignores
    // Error.prepareStackTrace (the probe checks that it has no effect).
    expect(refused).toEqual([
      'objectPrototype',
      'arrayPush',
      'jsonParse',
      'mathRandom',
      'dateNow',
      'functionPrototype',
      'promiseThen',
      'setPrototypeOf',
      'intlFormat',
      'regexpExec',
      'stringMethod',
      'consoleLog',
      'mathCache',
      'symbolRegistryHolder',
    ]);
    // The late console line never shows up, here or anywhere else.
    expect(result.console).toEqual([]);
  });

  it.each([
    ['the same flow again', ORG, LITTER],
    ['another flow of the same org', ORG, PROBE],
    ['another org', OTHER_ORG, PROBE],
  ])('shows %s nothing the first run left', async (_name, orgId, secondCode) => {
    await inRun(ORG, (run) => run.runCode({ code: LITTER, input: { secret: 'first' } }));
    const firstIsolate = log.last().isolateId;
    if (secondCode === LITTER) {
      // The same code in a new run builds its own closure: it sees its own secret, never the first run's.
      const again = await inRun(orgId, (run) => run.runCode({ code: LITTER, input: { secret: 'second' } }));
      expect(again).toMatchObject({ ok: true, value: { sameClosure: 'second' }, console: [] });
    }
    const probe = await inRun(orgId, (run) => run.runCode({ code: PROBE }));
    expect(probe).toEqual(CLEAN);
    if (orgId === ORG) {
      expect(log.last().isolateId).toBe(firstIsolate); // a warm isolate, shared by the org's runs
    } else {
      expect(log.last().isolateId).not.toBe(firstIsolate);
    }
  });

  it('gives expressions of a later run the same clean view', async () => {
    await inRun(ORG, (run) => run.runCode({ code: LITTER, input: { secret: 'first' } }));
    const values = await inRun(ORG, (run) =>
      run.evaluateAll(['typeof leftGlobal', '({}).leftProto ?? null', '[1, 2].map((n) => n * 2)'], {}),
    );
    expect(values).toEqual({ ok: true, value: ['undefined', null, [2, 4]], console: [] });
  });

  it('names the refusal when code changes a built-in prototype', async () => {
    const result = await pool.runCode({ orgId: ORG, code: 'Array.prototype.sum = function () { return 0; };' });
    expect(result).toMatchObject({
      ok: false,
      error: { type: 'user_error', message: expect.stringMatching(/^TypeError: .*sum/) },
    });
  });
});
