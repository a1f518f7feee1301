/**
 * Source evaluated once in every pooled isolate context. It builds a private runner, then freezes every
 * intrinsic reachable from the global object (a small "lockdown"), so one run cannot leave state behind for
 * the next: no global variable, prototype or built-in can be changed. Values cross the boundary as JSON text.
 */
export const ISOLATE_RUNTIME = String.raw`(() => {
  'use strict';
  const AsyncFunction = (async function () {}).constructor;
  const compiled = new Map();
  const compile = (kind, src) => {
    const key = kind + '\u0000' + src;
    let fn = compiled.get(key);
    if (fn) return fn;
    fn = kind === 'expr'
      ? new Function('trigger', 'nodes', 'input', 'loop', '"use strict";\nreturn (' + src + '\n);')
      : new AsyncFunction('input', 'trigger', 'nodes', 'loop', '"use strict";\n' + src + '\n');
    Object.freeze(fn);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(key, fn);
    return fn;
  };
  const encode = (value) => {
    if (value === undefined) return '{"u":1}';
    const text = JSON.stringify({ v: value });
    return text === undefined ? '{"u":1}' : text;
  };
  const fail = (e) => {
    let message;
    try { message = e instanceof Error ? e.name + ': ' + e.message : 'Thrown: ' + String(e); } catch { message = 'Thrown: (unprintable value)'; }
    return JSON.stringify({ e: String(message).slice(0, 2000) });
  };
  const run = (kind, src, scopeText) => {
    let s;
    let fn;
    try {
      s = JSON.parse(scopeText);
      fn = compile(kind, src);
    } catch (e) { return fail(e); }
    if (kind === 'expr') {
      try { return encode(fn(s.trigger, s.nodes, s.input, s.loop)); } catch (e) { return fail(e); }
    }
    let p;
    try { p = fn(s.input, s.trigger, s.nodes, s.loop); } catch (e) { return fail(e); }
    return Promise.resolve(p).then(encode, fail);
  };
  const seen = new Set();
  const freeze = (o) => {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    Object.freeze(o);
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (!d) continue;
      if ('value' in d) freeze(d.value); else { freeze(d.get); freeze(d.set); }
    }
    freeze(Object.getPrototypeOf(o));
  };
  const hidden = [
    AsyncFunction, function* () {}, async function* () {}, [][Symbol.iterator](), new Map().entries(), new Set().values(),
    ''[Symbol.iterator](), /x/[Symbol.matchAll](''), new Uint8Array(0), Promise.resolve(),
  ];
  freeze(globalThis);
  for (const h of hidden) freeze(h);
  return run;
})()`;
