// JavaScript run once per isolate: PRELUDE_SOURCE, then SES (ses/dist/ses.umd.min.js), then BOOTSTRAP_SOURCE,
// before any user code. The prelude removes what the memory limit cannot see; the bootstrap calls `lockdown()` (every shared intrinsic deeply frozen), and returns `open`. Each
// run calls `open()` once: a fresh SES Compartment (its own global, eval and Function over the frozen
// intrinsics) and a fresh console, wrapped in that run's runner. The host holds `open` and the runners as
// References that user code never sees; the start compartment's global is never reachable from a compartment.
//
// A runner resolves to one string: `<console JSON>\n<status><body>`, status `v` (body = result JSON),
// `e` (body = {message, type, index, syntax} JSON) or `o` (output over the limit). JSON.stringify never emits a
// raw newline, so the first `\n` is the separator. Everything it returns is still treated as untrusted by the host.

// Run before SES, which makes some of these non-configurable. Wasm memory, resizable and shared buffers are not
// charged to the isolate memory limit (measured: GBs of RSS under a 64 MiB limit); finalizers and weak refs
// could run one run's code during another run.
export const PRELUDE_SOURCE = String.raw`(function () {
  'use strict';
  const G = globalThis;
  delete G.WebAssembly;
  delete G.SharedArrayBuffer;
  delete G.Atomics;
  delete G.FinalizationRegistry;
  delete G.WeakRef;
  // A resizable buffer transferred to a larger length grows inside its reservation, uncharged (measured: 1 GiB).
  delete ArrayBuffer.prototype.resize;
  delete ArrayBuffer.prototype.transfer;
  delete ArrayBuffer.prototype.transferToFixedLength;
})()`;

export const BOOTSTRAP_SOURCE = String.raw`(function () {
  'use strict';

  // 'unsafe' error taming keeps V8 stacks (the line of a thrown error); 'unsafe' locale taming keeps
  // toLocaleString and Intl as before; 'moderate' override taming lets \`obj.toString = f\` (and the other
  // common names) work on plain objects ('severe' covers every name but slowed ordinary code measurably).
  lockdown({
    errorTaming: 'unsafe',
    stackFiltering: 'verbose',
    consoleTaming: 'unsafe',
    overrideTaming: 'moderate',
    localeTaming: 'unsafe',
    errorTrapping: 'none',
    unhandledRejectionTrapping: 'none',
    evalTaming: 'safe-eval',
  });

  const CompartmentCtor = Compartment;
  const hardenAll = harden;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toStr = String;
  const apply = Reflect.apply;
  const define = Reflect.defineProperty;
  const exec = RegExp.prototype.exec;
  const RangeErr = RangeError;
  const TypeErr = TypeError;
  const SyntaxErr = SyntaxError;
  const LINE = /code\.js:(\d+):\d+/;
  const MAX_MESSAGE = 2000;
  const REFUSED = ['Array buffer allocation failed', 'Invalid string length', 'Invalid typed array length'];
  // Endowed to every compartment: the start compartment's Date and Math (Date.now() and Math.random() work,
  // where a bare compartment's versions refuse), the float arrays SES keeps off compartments for a NaN side
  // channel we accept, and Intl, which SES does not know: hardened here, so no run can change it for another.
  const G = globalThis;
  const ENDOWMENTS = {};
  for (const name of ['Date', 'Math', 'Float16Array', 'Float32Array', 'Float64Array', 'Intl']) {
    if (G[name] !== undefined) ENDOWMENTS[name] = hardenAll(G[name]);
  }

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

  function describe(e, withLine) {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
        let m = (typeof e.name === 'string' ? e.name : 'Error') + ': ' + e.message;
        const hit = withLine && typeof e.stack === 'string' ? apply(exec, LINE, [e.stack]) : null;
        // Line 1 of code.js is the wrapper's, so the author's line is one less.
        if (hit) m += ' (line ' + (hit[1] - 1) + ')';
        return m.length > MAX_MESSAGE ? m.slice(0, MAX_MESSAGE) + '...' : m;
      }
      return ('Uncaught ' + text(e)).slice(0, MAX_MESSAGE);
    } catch (inner) {
      return 'Uncaught exception';
    }
  }

  // JSON.stringify builds its whole answer before its length can be checked: a returned 128 MiB string (a cheap
  // rope made by \`s += s\`) was flattened and escaped into hundreds of MiB past the heap limit. The replacer counts
  // what is written (keys and strings; every other value is small) and stops at the output limit instead.
  const TOO_LARGE = hardenAll({});
  function boundedStringify(value, outMax) {
    let written = 0;
    return stringify(value, function (key, v) {
      written += key.length + 4;
      if (typeof v === 'string') written += v.length;
      if (written > outMax) throw TOO_LARGE;
      return v;
    });
  }

  // One run: its own compartment and its own console; nothing here is shared with another run.
  function open() {
    let lines = [];
    let used = 0;
    let budget = 0;
    let full = false;

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

    const console = hardenAll({
      log: (...args) => record('', args),
      info: (...args) => record('', args),
      debug: (...args) => record('', args),
      warn: (...args) => record('[warn] ', args),
      error: (...args) => record('[error] ', args),
    });
    const compartment = new CompartmentCtor({ globals: { ...ENDOWMENTS, console }, __options__: true });

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
        json = boundedStringify(value, outMax);
      } catch (e) {
        if (e === TOO_LARGE) return frame('o', '');
        return fail(e);
      }
      if (json === undefined) json = 'null';
      // UTF-8 bytes >= UTF-16 units, so this cheap check already refuses anything that cannot fit.
      return json.length > outMax ? frame('o', '') : frame('v', json);
    }

    function evaluate(source) {
      try {
        return { fn: compartment.evaluate(source) };
      } catch (e) {
        // The host re-compiles a syntax error's source to locate it; SES's own refusals are syntax errors too.
        const syntax = e instanceof SyntaxErr;
        return { failed: frame('e', stringify({ message: describe(e, false), type: 'user_error', syntax })) };
      }
    }

    async function runCode(source, data, outMax) {
      const compiled = evaluate(source);
      if (compiled.failed) return compiled.failed;
      let value;
      try {
        value = await apply(compiled.fn, undefined, [data.input, data.trigger, data.nodes]);
      } catch (e) {
        return fail(e, undefined, true);
      }
      return done(value, outMax);
    }

    function runExpressions(source, data, outMax) {
      const compiled = evaluate(source);
      if (compiled.failed) return compiled.failed;
      let thunks;
      try {
        thunks = apply(compiled.fn, undefined, [data.trigger, data.nodes, data.input]);
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

    return async function run(kind, source, dataJson, outMax, consoleMax) {
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
      return kind === 'code' ? runCode(source, data, outMax) : runExpressions(source, data, outMax);
    };
  }

  return open;
})()`;

// Both wrappers start with 'use strict' (compartments evaluate strict code only), so that the host's own
// compile of a failing source (to locate a syntax error, see job-runner.ts) sees the same grammar.

/** Wraps a code node body; line 1 is the wrapper's, and `sourceURL` names the frames `code.js`. */
export function codeSource(code: string): string {
  return `'use strict'; (async function (input, trigger, nodes) {\n${code}\n})\n//# sourceURL=code.js\n`;
}

/** One factory for a batch of expressions; newlines keep a trailing `// comment` from eating the `)`. */
export function expressionsSource(expressions: readonly string[]): string {
  const thunks = expressions.map((expression) => `() => (\n${expression}\n)`).join(',\n');
  return `'use strict'; (function (trigger, nodes, input) { return [\n${thunks}\n]; })`;
}
