import { afterAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../../sandbox/index.js';
import { evaluateHostExpression, parseHostExpression, UNDECIDED } from '../host-expression.js';

const pool = new SandboxPool({ timeoutMs: 2000, memoryLimitMb: 32, hostProcesses: 1 });
afterAll(() => pool.close());

const ORG = 'org-host-expr';
const scope = {
  trigger: {
    body: {
      a: 2,
      b: 3,
      s: 'abc',
      n: null,
      t: true,
      z: 0,
      neg: -4,
      big: 1e300,
      num: '10',
      list: [1, 'x', { k: 1 }],
      obj: { k: 'v', 'with space': 7 },
    },
    headers: { 'x-id': 'req-1' },
  },
  nodes: { prev: { output: { total: 5, name: 'Ada', items: [{ price: 3 }] } } },
  input: { total: 5 },
};

/** What the sandbox answers (its JSON), or its error message. */
async function inSandbox(expression: string): Promise<{ value?: unknown; error?: string }> {
  const r = await pool.evaluateAll({ orgId: ORG, expressions: [expression], context: scope });
  return r.ok ? { value: r.value[0] } : { error: r.error.message };
}

/** What the host answers, normalized as the sandbox's JSON would be (undefined reads as null there). */
function onHost(expression: string): unknown {
  const parsed = parseHostExpression(expression);
  if (!parsed) return UNDECIDED;
  const v = evaluateHostExpression(parsed, scope);
  return v === UNDECIDED ? v : v === undefined ? null : JSON.parse(JSON.stringify(v));
}

// Decided on the host: each must equal the sandbox's answer exactly.
const DECIDED = [
  'trigger.body.a + trigger.body.b',
  'trigger.body.a - trigger.body.b * 2',
  '(trigger.body.a + 1) * 3',
  'trigger.body.a / 0',
  '-trigger.body.a / 0',
  '0 / 0',
  'trigger.body.z * -1',
  'trigger.body.a ** 3 ** 2',
  'trigger.body.b % trigger.body.a',
  'trigger.body.big * trigger.body.big',
  '1e3 + 0.5',
  'trigger.body.s + trigger.body.a',
  '\'id-\' + trigger.headers["x-id"]',
  'trigger.body.num + 1',
  'trigger.body.num * 2',
  'trigger.body.num < 9',
  "'10' < '9'",
  'trigger.body.a < trigger.body.b',
  'trigger.body.a >= 2',
  'trigger.body.a === 2',
  'trigger.body.num == 10',
  'trigger.body.num === 10',
  'trigger.body.n == undefined',
  'trigger.body.n === undefined',
  'trigger.body.missing === undefined',
  'trigger.body.t && trigger.body.s',
  'trigger.body.z || "fallback"',
  'trigger.body.n ?? "dflt"',
  'trigger.body.z ?? "dflt"',
  '!trigger.body.t',
  '!!trigger.body.list',
  '!trigger.body.obj',
  'typeof trigger.body.s',
  'typeof trigger.body.list',
  'typeof trigger.body.missing',
  'trigger.body.a > 1 ? "big" : "small"',
  'trigger.body.a > 5 ? "big" : trigger.body.a > 1 ? "mid" : "small"',
  'trigger.body.s.length',
  'trigger.body.s[1]',
  'trigger.body.s[9]',
  'trigger.body.list.length',
  'trigger.body.list[2].k',
  'trigger.body.list[7]',
  'trigger.body.obj["with space"]',
  "trigger.body.obj['k']",
  'trigger.body.missing',
  'nodes.prev.output',
  'nodes.prev.output.items[0].price * input.total',
  'nodes.prev.output.name + " " + nodes.prev.output.total',
  'input',
  'trigger.body.obj === trigger.body.n',
  '+trigger.body.num',
  '-trigger.body.neg',
  'trigger.body.list || 1',
  'true',
  'null',
  '"literal"',
  '42',
  'trigger.body.obj.if',
  'trigger.body.a - -trigger.body.b',
  'trigger.body.a + +trigger.body.num',
];

// Left to the sandbox: outside the subset, or a step whose meaning is more than primitives and own data.
const UNDECIDED_CASES = [
  'trigger.body.s.toUpperCase()',
  'trigger.body.missing.x',
  'trigger.body.n.x',
  'trigger.body.a.toFixed',
  'trigger.body.obj.toString',
  'trigger.body.list.map',
  'trigger.constructor',
  'trigger.__proto__',
  'trigger.body["constructor"]',
  'trigger.body.list + 1',
  'trigger.body.obj + ""',
  'trigger.body.obj == "[object Object]"',
  'trigger.body.obj === trigger.body.obj',
  '-trigger.body.list',
  'trigger.body.list < 2',
  'Math.max(1, 2)',
  'process',
  'this',
  'globalThis',
  'loop.item',
  'trigger.body.a, 1',
  '`t${1}`',
  '010',
  '0x10',
  'trigger.body.s?.length',
  'trigger.body[trigger.body.s]',
  'a => 1',
  'trigger.body.a = 1',
  'trigger.body.a++',
  'new Date()',
  'trigger.body.n ?? 1 || 2',
  'trigger.body.a && 1 ?? 2',
  '-2 ** 2',
  "'a\\nb'",
  'trigger.body.a--trigger.body.b',
  'trigger.body.a++trigger.body.b',
  'trigger.body.s.repeat(2)',
  '"x" in trigger.body',
  'void 0',
];

describe('host-evaluated expressions', () => {
  it.each(DECIDED)('%s: decided on the host, exactly as the sandbox answers', async (expression) => {
    const host = onHost(expression);
    expect(host, `${expression} should be decided on the host`).not.toBe(UNDECIDED);
    expect(await inSandbox(expression)).toEqual({ value: host });
  });

  it.each(UNDECIDED_CASES)('%s: left to the sandbox', (expression) => {
    expect(onHost(expression)).toBe(UNDECIDED);
  });

  it('refuses to decide on strings past the size the sandbox checks, and keeps sandbox syntax errors', async () => {
    const big = { trigger: { body: { s: 'x'.repeat(40_000) } } };
    const parsed = parseHostExpression('trigger.body.s + trigger.body.s');
    expect(evaluateHostExpression(parsed!, big)).toBe(UNDECIDED);
    // Undecided at the step that grows too large, even if a later step would shrink the result.
    expect(evaluateHostExpression(parseHostExpression('(trigger.body.s + trigger.body.s).length')!, big)).toBe(
      UNDECIDED,
    );
    expect(evaluateHostExpression(parseHostExpression('trigger.body.s.length')!, big)).toBe(40_000);
    expect(parseHostExpression('trigger.body.a +')).toBeUndefined();
    expect((await inSandbox('trigger.body.n ?? 1 || 2')).error).toMatch(/SyntaxError/);
  });

  it('never reads an inherited or prototype member, whatever the data', () => {
    const hostile = { trigger: JSON.parse('{"__proto__": {"polluted": 1}, "body": {}}') as Record<string, unknown> };
    expect(evaluateHostExpression(parseHostExpression('trigger.polluted')!, hostile)).toBeUndefined();
    expect(evaluateHostExpression(parseHostExpression('trigger.__proto__')!, hostile)).toBe(UNDECIDED);
    expect(evaluateHostExpression(parseHostExpression('trigger.body.hasOwnProperty')!, hostile)).toBe(UNDECIDED);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
