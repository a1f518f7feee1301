import { HEADER_NAME_PATTERN, int } from './built-in.shared.js';
import type { TriggerTypeSpec } from './node-type.registry.js';
import type { StringSchema, UnionSchema } from './param-schema.js';

const secret = (description: string): StringSchema => ({
  kind: 'string',
  minLength: 1,
  maxLength: 4096,
  sensitive: true,
  description: `${description}; a secret reference {{ secrets.<name>.<path>#<key> }} is recommended`,
});
const headerName: StringSchema = { kind: 'string', minLength: 1, maxLength: 256, pattern: HEADER_NAME_PATTERN };

const authSchema: UnionSchema = {
  kind: 'union',
  discriminator: 'mode',
  description: 'How callers authenticate',
  variants: {
    none: { kind: 'object', properties: {} },
    header: {
      kind: 'object',
      required: ['name', 'value'],
      properties: {
        name: { ...headerName, description: 'Header carrying the shared secret' },
        value: secret('Expected header value'),
      },
    },
    basic: {
      kind: 'object',
      required: ['username', 'password'],
      properties: { username: { kind: 'string', minLength: 1, maxLength: 256 }, password: secret('Expected password') },
    },
    hmac: {
      kind: 'object',
      required: ['secret'],
      properties: {
        secret: secret('Signing secret'),
        signatureHeader: { ...headerName, description: 'Header carrying the signature (default x-signature)' },
        timestampHeader: {
          ...headerName,
          description: 'Header carrying the signed Unix timestamp (default x-timestamp)',
        },
        algorithm: { kind: 'string', enum: ['sha256', 'sha512'], description: 'HMAC hash (default sha256)' },
        encoding: { kind: 'string', enum: ['hex', 'base64'], description: 'Signature encoding (default hex)' },
        signaturePrefix: {
          kind: 'string',
          maxLength: 32,
          description: 'Literal prefix before the signature, e.g. "sha256="',
        },
        toleranceSeconds: int(1, 3600, 'Accepted clock skew (default 300)'),
      },
    },
  },
};

const webhook: TriggerTypeSpec = {
  type: 'webhook',
  title: 'Webhook',
  description: 'Runs the published version on POST|GET|PUT /hooks/:flowId.',
  settings: {
    kind: 'object',
    required: ['auth', 'respond'],
    properties: {
      auth: authSchema,
      respond: {
        kind: 'string',
        enum: ['wait', 'accepted'],
        description: 'wait: answer with the flow response; accepted: 202 {runId}',
      },
      methods: {
        kind: 'array',
        minItems: 1,
        maxItems: 3,
        items: { kind: 'string', enum: ['GET', 'POST', 'PUT'] },
        description: 'Accepted methods (default POST)',
      },
      waitTimeoutMs: int(100, 300_000, 'How long respond=wait waits for the run'),
      handshake: {
        kind: 'object',
        required: ['source', 'challengeField'],
        description: "Answers a provider's verification challenge without starting a run",
        properties: {
          source: { kind: 'string', enum: ['query', 'body'] },
          challengeField: { kind: 'string', minLength: 1, maxLength: 128 },
          verifyTokenField: { kind: 'string', minLength: 1, maxLength: 128 },
          verifyToken: secret('Expected verify token'),
        },
      },
      rateLimit: {
        kind: 'object',
        required: ['requests', 'perSeconds'],
        description: 'Per-flow limit (default: unlimited; org run limits still apply)',
        properties: { requests: int(1, 1_000_000), perSeconds: int(1, 86_400) },
      },
    },
  },
  validate: (settings, path) => {
    const hs = settings.handshake;
    if (
      hs &&
      typeof hs === 'object' &&
      !Array.isArray(hs) &&
      (hs.verifyToken === undefined) !== (hs.verifyTokenField === undefined)
    ) {
      return [{ path: `${path}.handshake`, message: 'verifyTokenField and verifyToken go together' }];
    }
    return [];
  },
};

const schedule: TriggerTypeSpec = {
  type: 'schedule',
  title: 'Schedule',
  description: 'Runs the published version on a cron schedule.',
  settings: {
    kind: 'object',
    required: ['cron'],
    properties: {
      cron: {
        kind: 'string',
        minLength: 1,
        maxLength: 256,
        format: 'cron',
        description: 'Cron expression (5 fields, or 6 with seconds)',
      },
      timezone: { kind: 'string', maxLength: 64, format: 'timezone', description: 'IANA time zone (default UTC)' },
      missed: {
        kind: 'string',
        enum: ['skip', 'catchUp'],
        description:
          'Fire times missed while no server ran: skip (default) resumes at the next time; catchUp fires the missed ones at start, oldest first (at most 100, within the last 24 hours)',
      },
    },
  },
};

const manual: TriggerTypeSpec = {
  type: 'manual',
  title: 'Manual',
  description: 'Runs only through POST /api/v1/flows/:flowId/runs; the run input is `trigger.input`.',
  settings: { kind: 'object', properties: {} },
};

export const BUILT_IN_TRIGGER_TYPES: readonly TriggerTypeSpec[] = [webhook, schedule, manual];
