// JavaScript that runs first in every fresh context (one per run, or per one-off call), before any user code. It is compiled once per isolate
// (an ivm Script is context-independent) and its completion value, the runner, is held by the host as a
// Reference that user code never sees. It captures the built-ins it needs before user code can replace them.
//
// The runner resolves to one string: `<console JSON>\n<status><body>`, status `v` (body = result JSON),
// `e` (body = {message, type, index} JSON) or `o` (output over the limit). JSON.stringify never emits a raw
// newline, so the first `\n` is the separator. Everything it returns is still treated as untrusted by the host.
export const BOOTSTRAP_SOURCE = String.raw`(function () {
  'use strict';
  const G = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toStr = String;
  const apply = Reflect.apply;
  const define = Reflect.defineProperty;
  const exec = RegExp.prototype.exec;
  const RangeErr = RangeError;
  const TypeErr = TypeError;
  const LINE = /code\.js:(\d+):\d+/;
  const MAX_MESSAGE = 2000;
  const REFUSED = ['Array buffer allocation failed', 'Invalid string length'];

  // Wasm memory, resizable and shared buffers are not charged to the isolate memory limit (measured: GBs of
  // RSS under a 64 MiB limit); finalizers and weak refs could run user code after the run has ended.
  delete G.WebAssembly;
  delete G.SharedArrayBuffer;
  delete G.Atomics;
  delete G.FinalizationRegistry;
  delete G.WeakRef;
  delete ArrayBuffer.prototype.resize;

  // Per call: a run's calls share this context (see isolate-pool.ts), each reports only its own console.
  let lines = [];
  let used = 0;
  let budget = 0;
  let full = false;

  function push(list, value) {
    define(list, list.length, { value, writable: true, enumerable: true, configurable: true });
  }

  function text(v) {
    if (typeof v === 'string') return v;
    try {
      if (v !== null && typeof v === 'object' && typeof v.message === 'string' && typeof v.name === 'string') {
        return v.name + ': ' + v.message;
      }
      const s = stringify(v);
      if (typeof s === 'string') return s;
      return toStr(v);
    } catch (e) {
      return '[unprintable]';
    }
  }

  function record(prefix, args) {
    if (full) return;
    let line = prefix;
    for (let i = 0; i < args.length; i++) line += (i > 0 ? ' ' : '') + text(args[i]);
    if (line.length > budget - used) {
      line = line.slice(0, Math.max(0, budget - used));
      full = true;
    }
    used += line.length;
    push(lines, line);
    if (full) push(lines, '[console output truncated]');
  }

  define(G, 'console', {
    value: {
      log: (...args) => record('', args),
      info: (...args) => record('', args),
      debug: (...args) => record('', args),
      warn: (...args) => record('[warn] ', args),
      error: (...args) => record('[error] ', args),
    },
    writable: true,
    configurable: true,
  });

  function describe(e, withLine) {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
        let m = (typeof e.name === 'string' ? e.name : 'Error') + ': ' + e.message;
        const hit = withLine && typeof e.stack === 'string' ? apply(exec, LINE, [e.stack]) : null;
        if (hit) m += ' (line ' + hit[1] + ')';
        return m.length > MAX_MESSAGE ? m.slice(0, MAX_MESSAGE) + '...' : m;
      }
      return ('Uncaught ' + text(e)).slice(0, MAX_MESSAGE);
    } catch (inner) {
      return 'Uncaught exception';
    }
  }

  function frame(status, body) {
    return stringify(lines) + '\n' + status + body;
  }

  function fail(e, index, withLine) {
    // Allocations refused for size rather than failed for a bug: past the memory limit the allocator refuses
    // buffers, and a string over V8's maximum length (~512 MiB) is always past any memory limit we set.
    const memory = e instanceof RangeErr && REFUSED.includes(e.message);
    return frame('e', stringify({ message: describe(e, withLine), type: memory ? 'memory' : 'user_error', index }));
  }

  function done(value, outMax) {
    let json;
    try {
      json = stringify(value);
    } catch (e) {
      return fail(e);
    }
    if (json === undefined) json = 'null';
    // UTF-8 bytes >= UTF-16 units, so this cheap check already refuses anything that cannot fit.
    return json.length > outMax ? frame('o', '') : frame('v', json);
  }

  async function runCode(fn, data, outMax) {
    let value;
    try {
      value = await apply(fn, undefined, [data.input, data.trigger, data.nodes]);
    } catch (e) {
      return fail(e, undefined, true);
    }
    return done(value, outMax);
  }

  function runExpressions(factory, data, outMax) {
    let thunks;
    try {
      thunks = apply(factory, undefined, [data.trigger, data.nodes, data.input]);
    } catch (e) {
      return fail(e);
    }
    const values = [];
    for (let i = 0; i < thunks.length; i++) {
      try {
        const value = thunks[i]();
        // A promise would serialize as {} and hide the mistake: expressions are synchronous.
        if (value !== null && typeof value === 'object' && typeof value.then === 'function') {
          throw new TypeErr('Expressions must be synchronous, but this one returned a promise');
        }
        push(values, value);
      } catch (e) {
        return fail(e, i);
      }
    }
    return done(values, outMax);
  }

  return async function run(kind, fn, dataJson, outMax, consoleMax) {
    if (kind === 'console') return stringify(lines);
    lines = [];
    used = 0;
    full = false;
    budget = consoleMax;
    let data;
    try {
      data = parse(dataJson);
    } catch (e) {
      return fail(e);
    }
    return kind === 'code' ? runCode(fn, data, outMax) : runExpressions(fn, data, outMax);
  };
})()`;

/** Wraps a code node body; `lineOffset: -1` makes reported line numbers match the author's lines. */
export function codeSource(code: string): string {
  return `(async function (input, trigger, nodes) {\n${code}\n})`;
}

/** One factory for a batch of expressions; newlines keep a trailing `// comment` from eating the `)`. */
export function expressionsSource(expressions: readonly string[]): string {
  const thunks = expressions.map((expression) => `() => (\n${expression}\n)`).join(',\n');
  return `(function (trigger, nodes, input) { return [\n${thunks}\n]; })`;
}
