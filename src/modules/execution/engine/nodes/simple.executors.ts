import { StepFailure } from '../run-errors.js';
import type { NodeExecutionContext, NodeExecutor, NodeResult } from './node-executor.js';

const paramError = (node: string, message: string) => new StepFailure('node_error', `Node "${node}": ${message}`);

/** `transform`: builds an object from `fields` (name → value or expression). */
export const transformExecutor: NodeExecutor = {
  async execute(params, ctx): Promise<NodeResult> {
    const fields = params.fields ?? {};
    if (typeof fields !== 'object' || Array.isArray(fields)) throw paramError(ctx.node.id, 'fields must be an object');
    return { output: fields };
  },
};

/** `code`: the body of an async function run in the sandbox; it sees `input`, `trigger` and `nodes`. */
export const codeExecutor: NodeExecutor = {
  rawParams: ['code'],
  async execute(params, ctx): Promise<NodeResult> {
    if (typeof params.code !== 'string') throw paramError(ctx.node.id, 'code must be a string');
    const output = await ctx.sandbox.runCode(ctx.orgId, params.code, ctx.scope, {
      ...ctx.sandboxLimits(),
      signal: ctx.signal,
    });
    return { output };
  },
};

/** `branch`: the first condition whose `when` is truthy picks the outgoing handle; else `default`. Passes its input on. */
export const branchExecutor: NodeExecutor = {
  rawParams: ['conditions'],
  async execute(params, ctx): Promise<NodeResult> {
    const conditions = params.conditions ?? [];
    if (!Array.isArray(conditions)) throw paramError(ctx.node.id, 'conditions must be an array');
    for (let i = 0; i < conditions.length; i++) {
      const c = conditions[i] as { when?: unknown; handle?: unknown };
      if (!c || typeof c.handle !== 'string') throw paramError(ctx.node.id, `conditions[${i}].handle must be a string`);
      if (await ctx.render(c.when, `params.conditions[${i}].when`))
        return { output: ctx.scope.input, handle: c.handle };
    }
    const fallback = typeof params.default === 'string' ? params.default : 'default';
    return { output: ctx.scope.input, handle: fallback };
  },
};

export const DEFAULT_LOOP_MAX = 1000;

/** `loop`: validates `items` (and `max`); the engine runs the body once per item. */
export const loopExecutor: NodeExecutor = {
  async execute(params, ctx): Promise<NodeResult> {
    const max = params.max === undefined ? DEFAULT_LOOP_MAX : params.max;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0)
      throw paramError(ctx.node.id, 'max must be a non-negative integer');
    if (!Array.isArray(params.items)) throw paramError(ctx.node.id, 'items must evaluate to an array');
    if (params.items.length > max) {
      throw new StepFailure(
        'limit',
        `Node "${ctx.node.id}": ${params.items.length} items exceed the loop's max of ${max}`,
      );
    }
    return { output: params.items };
  },
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Framing headers belong to the server; cookies on the product's own origin could fix a session.
const RESERVED_HEADERS = new Set([
  'set-cookie',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
]);

/** `respond`: the webhook's answer (`status`, `headers`, `body`); the first respond of a run wins. */
export const respondExecutor: NodeExecutor = {
  async execute(params, ctx: NodeExecutionContext): Promise<NodeResult> {
    const status = params.status === undefined ? 200 : params.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      throw paramError(ctx.node.id, 'status must be an integer from 200 to 599');
    }
    const headers: Record<string, string> = {};
    const raw = params.headers ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw paramError(ctx.node.id, 'headers must be an object');
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const value = String(v ?? '');
      const reserved = RESERVED_HEADERS.has(k.toLowerCase());
      if (reserved || !HEADER_NAME.test(k) || /[\r\n\0]/.test(value))
        throw paramError(ctx.node.id, `header "${k.slice(0, 64)}" is not valid or not allowed`);
      headers[k.toLowerCase()] = value;
    }
    const out = { status, headers, body: params.body };
    ctx.respond(out);
    return { output: out };
  },
};
