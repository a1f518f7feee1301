import type { DefinitionIssue, JsonObject } from './definition.types.js';
import { HANDLE_PATTERN, headersSchema, int } from './built-in.shared.js';
import type { NodeTypeSpec } from './node-type.registry.js';

const transform: NodeTypeSpec = {
  type: 'transform',
  title: 'Transform',
  description: 'Builds an object: each field is a name and a value (usually an expression).',
  params: {
    kind: 'object',
    required: ['fields'],
    properties: {
      fields: {
        kind: 'object',
        additional: { kind: 'json' },
        maxProperties: 500,
        description: 'Output field name → value or expression',
      },
    },
  },
};

const code: NodeTypeSpec = {
  type: 'code',
  title: 'Code',
  description:
    'Runs the body of an async JavaScript function in the sandbox; it sees input, trigger and nodes and returns a JSON value.',
  params: {
    kind: 'object',
    required: ['code'],
    properties: {
      code: { kind: 'string', minLength: 1, maxLength: 256 * 1024, literal: true, description: 'Function body' },
      timeoutMs: int(1, 300_000, 'Wall-clock limit for this node; capped by the server limit'),
    },
  },
};

const httpRequest: NodeTypeSpec = {
  type: 'http.request',
  title: 'HTTP request',
  description: 'Sends an HTTP request through the egress guard, optionally authenticated by a connection.',
  params: {
    kind: 'object',
    required: ['method', 'url'],
    properties: {
      method: { kind: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
      url: { kind: 'string', minLength: 1, maxLength: 8192, description: 'http(s) URL or expression' },
      headers: headersSchema,
      query: { kind: 'object', additional: { kind: 'string', maxLength: 8192 }, maxProperties: 100, expression: true },
      body: { kind: 'json', description: 'JSON value, string or expression' },
      connectionId: {
        kind: 'string',
        format: 'connection-id',
        description: 'Connection whose credentials authenticate the request',
      },
      timeoutMs: int(1, 300_000, 'Request timeout'),
      responseFormat: {
        kind: 'string',
        enum: ['auto', 'json', 'text'],
        description: 'How to read the response body (default auto)',
      },
      failOnHttpError: { kind: 'boolean', description: 'Fail the node on a 4xx/5xx status (default true)' },
    },
  },
};

const branchHandles = (params: JsonObject): string[] => {
  const conditions = Array.isArray(params.conditions) ? params.conditions : [];
  const handles = conditions.map((c) => (c && typeof c === 'object' && !Array.isArray(c) ? c.handle : undefined));
  if (typeof params.default === 'string') handles.push(params.default);
  return [...new Set(handles.filter((h): h is string => typeof h === 'string'))];
};

const branch: NodeTypeSpec = {
  type: 'branch',
  title: 'Branch',
  description:
    'Follows the edge of the first condition that holds (or the default handle); outgoing edges carry a handle.',
  params: {
    kind: 'object',
    required: ['conditions'],
    properties: {
      conditions: {
        kind: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          kind: 'object',
          required: ['when', 'handle'],
          properties: {
            when: { kind: 'json', description: 'Expression; the condition holds when it is truthy' },
            handle: { kind: 'string', minLength: 1, maxLength: 64, pattern: HANDLE_PATTERN },
          },
        },
      },
      default: {
        kind: 'string',
        minLength: 1,
        maxLength: 64,
        pattern: HANDLE_PATTERN,
        description: 'Handle taken when no condition holds',
      },
    },
  },
  outputs: branchHandles,
  validate: (params, path) => {
    const issues: DefinitionIssue[] = [];
    const seen = new Set<string>();
    (Array.isArray(params.conditions) ? params.conditions : []).forEach((c, i) => {
      const h = c && typeof c === 'object' && !Array.isArray(c) ? c.handle : undefined;
      if (typeof h !== 'string') return;
      if (seen.has(h)) issues.push({ path: `${path}.conditions[${i}].handle`, message: `duplicate handle "${h}"` });
      seen.add(h);
    });
    return issues;
  },
};

const loop: NodeTypeSpec = {
  type: 'loop',
  title: 'Loop',
  description:
    'Runs the nodes after its "each" handle once per item (the item is their input); then follows "done" with the collected results. ' +
    'An edge from the body back to the loop node is allowed (it is the only kind of cycle a flow may contain).',
  params: {
    kind: 'object',
    required: ['items'],
    properties: {
      items: { kind: 'json', description: 'Expression yielding an array' },
      max: int(1, 100_000, 'Most items processed; more fail the node (default 1000)'),
    },
  },
  outputs: ['each', 'done'],
  bodyOutput: 'each',
  closesCycles: true,
};

const respond: NodeTypeSpec = {
  type: 'respond',
  title: 'Respond',
  description: 'Sets the HTTP response of a waiting webhook (or the run output).',
  params: {
    kind: 'object',
    properties: {
      status: { ...int(100, 599, 'HTTP status (default 200)'), expression: true },
      headers: headersSchema,
      body: { kind: 'json' },
    },
  },
};

export const BUILT_IN_NODE_TYPES: readonly NodeTypeSpec[] = [transform, code, httpRequest, branch, loop, respond];
