import { describe, expect, it } from 'vitest';
import { exampleDefinition } from '../../../../../test/utils/flow-helpers.js';
import { createNodeTypeRegistry, validateDefinition } from '../index.js';

const registry = createNodeTypeRegistry();

/** A definition parsed from JSON text, as a request body is: `__proto__` is then an own key. */
const parsed = (edit: (json: string) => string): unknown => JSON.parse(edit(JSON.stringify(exampleDefinition())));

describe('definition validation: prototype keys (issue 11)', () => {
  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses %s at the top level, in a node and in its params',
    (key) => {
      const top = parsed((j) => j.replace('{"schemaVersion":1', `{"${key}":{"x":1},"schemaVersion":1`));
      expect(validateDefinition(top, registry, 'draft').issues).toContainEqual({
        path: `$.${key}`,
        message: 'forbidden key',
      });
      const node = parsed((j) => j.replace('{"id":"sum"', `{"${key}":{"x":1},"id":"sum"`));
      expect(validateDefinition(node, registry, 'draft').issues).toContainEqual({
        path: `$.nodes[0].${key}`,
        message: 'forbidden key',
      });
      const params = parsed((j) => j.replace('"fields":{', `"fields":{"${key}":"1",`));
      expect(validateDefinition(params, registry, 'draft').issues.map((i) => i.message)).toContain('forbidden key');
      expect(validateDefinition(top, registry, 'publish').issues).not.toEqual([]);
    },
  );
});
