import { HANDLE_PATTERN } from './built-in.shared.js';
import type { ObjectSchema } from './param-schema.js';

/** Node ids: short identifiers, usable in expressions as `nodes.<id>`. */
export const NODE_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$';

/** The fixed part of a definition (params and trigger settings are checked against their type's schema). */
export const DEFINITION_SCHEMA: ObjectSchema = {
  kind: 'object',
  required: ['schemaVersion', 'trigger', 'nodes', 'edges'],
  properties: {
    schemaVersion: { kind: 'integer', minimum: 1 },
    trigger: {
      kind: 'object',
      required: ['type'],
      properties: { type: { kind: 'string', minLength: 1, maxLength: 128 }, settings: { kind: 'json' } },
    },
    nodes: {
      kind: 'array',
      items: {
        kind: 'object',
        required: ['id', 'type'],
        properties: {
          id: { kind: 'string', pattern: NODE_ID_PATTERN },
          type: { kind: 'string', minLength: 1, maxLength: 128 },
          name: { kind: 'string', maxLength: 200 },
          params: { kind: 'json' },
          position: {
            kind: 'object',
            required: ['x', 'y'],
            properties: { x: { kind: 'number' }, y: { kind: 'number' } },
          },
          disabled: { kind: 'boolean' },
          onError: { kind: 'string', enum: ['fail', 'continue'] },
          retry: {
            kind: 'object',
            required: ['maxAttempts'],
            properties: {
              maxAttempts: { kind: 'integer', minimum: 1, maximum: 10 },
              delayMs: { kind: 'integer', minimum: 0, maximum: 3_600_000 },
            },
          },
        },
      },
    },
    edges: {
      kind: 'array',
      items: {
        kind: 'object',
        required: ['from', 'to'],
        properties: {
          from: { kind: 'string', maxLength: 64 },
          to: { kind: 'string', maxLength: 64 },
          handle: { kind: 'string', pattern: HANDLE_PATTERN },
        },
      },
    },
  },
};
