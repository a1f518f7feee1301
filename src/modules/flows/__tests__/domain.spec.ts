import { describe, expect, it } from 'vitest';
import { createNodeTypeRegistry, type FlowDefinition } from '../definition/index.js';
import { diffDefinitions } from '../domain/definition-diff.js';
import { draftEtag, expectedRevision } from '../domain/draft-etag.js';
import { MASK, maskDefinition, restoreMasked } from '../domain/sensitive-values.js';
import { shareRules } from '../flow-share.contributor.js';

const registry = createNodeTypeRegistry();
const def = (): FlowDefinition => ({
  schemaVersion: 1,
  trigger: {
    type: 'webhook',
    settings: { auth: { mode: 'header', name: 'x-key', value: 'literal-secret' }, respond: 'wait' },
  },
  nodes: [
    { id: 'a', type: 'transform', params: { fields: { x: 1 } } },
    {
      id: 'b',
      type: 'http.request',
      params: { method: 'GET', url: 'https://x.test', headers: { Authorization: '{{ secrets.vault.kv/x#token }}' } },
    },
  ],
  edges: [
    { from: 'trigger', to: 'a' },
    { from: 'a', to: 'b' },
  ],
});

describe('definition diff', () => {
  it('ignores node and edge order and reports value paths', () => {
    const a = def();
    const b = def();
    b.nodes.reverse();
    b.edges.reverse();
    expect(diffDefinitions(a, b).identical).toBe(true);
    (b.nodes[1].params!.fields as Record<string, unknown>).y = 2;
    expect(diffDefinitions(a, b).nodes.changed).toEqual([
      {
        id: 'a',
        type: 'transform',
        path: '$.nodes[1]',
        changes: [{ path: '$.nodes[1].params.fields.y', op: 'added', after: 2 }],
      },
    ]);
  });
});

describe('draft ETags', () => {
  const id = '0190c1c5-8f5e-7000-8000-000000000001';
  it('matches the current tag, * and lists; refuses stale, weak and missing tags', () => {
    expect(expectedRevision(draftEtag(id, 3), id, 3)).toBe(3);
    expect(expectedRevision(`"nope", ${draftEtag(id, 3)}`, id, 3)).toBe(3);
    expect(expectedRevision('*', id, 3)).toBe('any');
    expect(() => expectedRevision(draftEtag(id, 2), id, 3)).toThrow(
      expect.objectContaining({ code: 'draft_conflict', status: 412 }),
    );
    expect(() => expectedRevision(`W/${draftEtag(id, 3)}`, id, 3)).toThrow(
      expect.objectContaining({ code: 'draft_conflict' }),
    );
    expect(() => expectedRevision(undefined, id, 3)).toThrow(expect.objectContaining({ status: 428 }));
  });
});

describe('secret masking', () => {
  it('masks literal secrets but not references, and restores masks from the stored draft by node and path', () => {
    const masked = maskDefinition(def(), registry);
    expect(masked.trigger.settings).toMatchObject({ auth: { value: MASK } });
    expect(masked.nodes[1].params!.headers).toEqual({ Authorization: '{{ secrets.vault.kv/x#token }}' });
    // Literal is what the template grammar reads as text: a typed-in secret holding a stray `{{` is still masked.
    for (const literal of ['ab{{cd', '{{ "}} x', 'x }} {{']) {
      const d = def();
      (d.trigger.settings!.auth as Record<string, unknown>).value = literal;
      expect(maskDefinition(d, registry).trigger.settings).toMatchObject({ auth: { value: MASK } });
    }
    const restored = restoreMasked(masked, def(), registry);
    expect(restored).toEqual({ definition: def(), issues: [] });
    const other = def();
    other.trigger = {
      type: 'webhook',
      settings: { auth: { mode: 'basic', username: 'u', password: MASK }, respond: 'wait' },
    };
    expect(restoreMasked(other, def(), registry).issues).toEqual([
      { path: '$.trigger.settings.auth.password', message: expect.stringMatching(/masked/) },
    ]);
  });
});

describe('share rules', () => {
  it('conditions every rule on the org and the shared flow ids', () => {
    const rules = shareRules('org-1', [
      { flowId: 'f1', role: 'viewer' },
      { flowId: 'f2', role: 'editor' },
      { flowId: 'f3', role: 'viewer' },
    ]);
    expect(rules).toContainEqual({
      action: 'read',
      subject: 'Flow',
      conditions: { orgId: 'org-1', id: { $in: ['f1', 'f3'] } },
    });
    expect(rules).toContainEqual({
      action: 'publish',
      subject: 'Flow',
      conditions: { orgId: 'org-1', id: { $in: ['f2'] } },
    });
    expect(rules).toContainEqual({
      action: 'read',
      subject: 'Run',
      conditions: { orgId: 'org-1', flowId: { $in: ['f1', 'f3'] } },
    });
    expect(rules.every((r) => (r.conditions as { orgId: string }).orgId === 'org-1')).toBe(true);
  });
});
