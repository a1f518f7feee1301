import { describe, expect, it } from 'vitest';
import { exampleDefinition } from '../../../../../test/utils/flow-helpers.js';
import { createNodeTypeRegistry, upgradeDefinition, validateDefinition, type FlowDefinition } from '../index.js';

const registry = createNodeTypeRegistry();

/** The example of API.md "Flow definition (version 1)", shared with the e2e helpers. */
const example = (): FlowDefinition => exampleDefinition() as unknown as FlowDefinition;

const draft = (d: unknown) => validateDefinition(d, registry, 'draft').issues;
const publish = (d: unknown) => validateDefinition(d, registry, 'publish').issues;

describe('definition validation', () => {
  it('accepts the API.md example at both levels', () => {
    expect(draft(example())).toEqual([]);
    expect(publish(example())).toEqual([]);
  });

  it('refuses unknown node types and unknown parameters at draft level with a path', () => {
    const d = example();
    d.nodes[1] = { id: 'double', type: 'shell.exec', params: {} };
    expect(draft(d)).toEqual([{ path: '$.nodes[1].type', message: 'unknown node type "shell.exec"' }]);
    const e = example();
    e.nodes[0].params = { fields: {}, extra: 1 };
    expect(draft(e)).toEqual([{ path: '$.nodes[0].params.extra', message: 'unknown parameter' }]);
  });

  it('refuses wrong types, enums and ranges at draft level', () => {
    const d = example();
    d.nodes.push({ id: 'get', type: 'http.request', params: { method: 'FETCH', url: 5, timeoutMs: 0 } });
    expect(draft(d).map((i) => i.path)).toEqual([
      '$.nodes[3].params.method',
      '$.nodes[3].params.url',
      '$.nodes[3].params.timeoutMs',
    ]);
  });

  it('lets an incomplete draft save and refuses it at publish', () => {
    const d = example();
    d.nodes.push({ id: 'get', type: 'http.request', params: {} });
    expect(draft(d)).toEqual([]);
    expect(publish(d)).toEqual([
      { path: '$.nodes[3].params.method', message: 'is required' },
      { path: '$.nodes[3].params.url', message: 'is required' },
    ]);
  });

  it('refuses dangling edges and duplicate ids at draft level', () => {
    const d = example();
    d.edges.push({ from: 'reply', to: 'ghost' });
    d.nodes.push({ id: 'sum', type: 'transform', params: {} });
    expect(draft(d)).toEqual([
      { path: '$.nodes[3].id', message: 'duplicate node id "sum"' },
      { path: '$.edges[3].to', message: 'no node "ghost"' },
    ]);
  });

  it('refuses unreachable nodes and cycles at publish, but allows a cycle through a loop node', () => {
    const d = example();
    d.nodes.push({ id: 'lonely', type: 'transform', params: { fields: {} } });
    expect(publish(d)).toEqual([{ path: '$.nodes[3]', message: 'node "lonely" is not reachable from the trigger' }]);
    const c = example();
    c.edges.push({ from: 'double', to: 'sum' });
    expect(publish(c)).toEqual([
      { path: '$.edges[3]', message: expect.stringContaining('closes a cycle (double → sum)') },
    ]);
    const l = example();
    l.nodes.push({ id: 'each', type: 'loop', params: { items: '{{ trigger.body.list }}' } });
    l.edges = [
      { from: 'trigger', to: 'each' },
      { from: 'each', to: 'sum', handle: 'each' },
      { from: 'sum', to: 'each' },
      { from: 'each', to: 'double', handle: 'done' },
      { from: 'double', to: 'reply' },
    ];
    expect(publish(l)).toEqual([]);
  });

  it('checks branch handles on edges', () => {
    const d = example();
    d.nodes.splice(1, 0, {
      id: 'pick',
      type: 'branch',
      params: { conditions: [{ when: '{{ input.total > 1 }}', handle: 'big' }], default: 'small' },
    });
    d.edges = [
      { from: 'trigger', to: 'sum' },
      { from: 'sum', to: 'pick' },
      { from: 'pick', to: 'double', handle: 'big' },
      { from: 'pick', to: 'reply', handle: 'tiny' },
      { from: 'double', to: 'reply' },
    ];
    expect(publish(d)).toEqual([
      { path: '$.edges[3].handle', message: '"tiny" is not an output of node "pick" (big, small)' },
    ]);
  });

  it('checks webhook auth modes and their fields', () => {
    const d = example();
    d.trigger.settings = { auth: { mode: 'hmac' }, respond: 'accepted' };
    expect(draft(d)).toEqual([]);
    expect(publish(d)).toEqual([{ path: '$.trigger.settings.auth.secret', message: 'is required' }]);
    d.trigger.settings = { auth: { mode: 'token' }, respond: 'wait' };
    expect(draft(d)).toEqual([
      { path: '$.trigger.settings.auth.mode', message: 'must be one of none, header, basic, hmac' },
    ]);
    d.trigger.settings = { auth: { mode: 'basic', username: 'u', password: 'p', realm: 'x' }, respond: 'wait' };
    expect(draft(d)).toEqual([{ path: '$.trigger.settings.auth.realm', message: 'unknown parameter' }]);
  });

  it('checks schedule cron and time zone at publish', () => {
    const d = example();
    d.trigger = { type: 'schedule', settings: { cron: '61 * * * *', timezone: 'Mars/Olympus' } };
    expect(draft(d)).toEqual([]);
    expect(publish(d).map((i) => i.path)).toEqual(['$.trigger.settings.cron', '$.trigger.settings.timezone']);
    d.trigger = { type: 'schedule', settings: { cron: '*/5 * * * *', timezone: 'Europe/Paris' } };
    expect(publish(d)).toEqual([]);
  });

  it('takes skip or catchUp for missed schedule times, nothing else', () => {
    const d = example();
    for (const missed of ['skip', 'catchUp']) {
      d.trigger = { type: 'schedule', settings: { cron: '* * * * *', missed } };
      expect(publish(d)).toEqual([]);
    }
    d.trigger = { type: 'schedule', settings: { cron: '* * * * *', missed: 'all' } };
    expect(publish(d).map((i) => i.path)).toEqual(['$.trigger.settings.missed']);
  });

  it('requires well-formed secret references at publish', () => {
    const d = example();
    d.nodes.push({
      id: 'call',
      type: 'http.request',
      params: {
        method: 'GET',
        url: 'https://example.com',
        headers: { Authorization: 'Bearer {{ secrets.vault.kv/stripe#api_key }}' },
      },
    });
    d.edges.push({ from: 'reply', to: 'call' });
    expect(publish(d)).toEqual([]);
    // API.md: `#<key>` is optional (without it the whole value is used).
    (d.nodes[3].params!.headers as Record<string, string>).Authorization = 'Bearer {{ secrets.vault.kv/stripe }}';
    expect(publish(d)).toEqual([]);
    for (const bad of [
      '{{ secrets.vault }}',
      '{{ secrets.vault.kv/stripe# }}',
      '{{ secrets.vault.kv//x }}',
      '{{ secrets.vault.kv/../x#k }}',
      '{{ secrets["vault"] }}',
      '{{ secrets.vault.kv#k',
    ]) {
      (d.nodes[3].params!.headers as Record<string, string>).Authorization = bad;
      expect(publish(d), bad).toEqual([
        {
          path: '$.nodes[3].params.headers.Authorization',
          message: expect.stringMatching(/secret reference|unclosed/),
        },
      ]);
    }
  });

  it('validates connection references as well-formed ids and reports them', () => {
    const d = example();
    d.nodes.push({
      id: 'call',
      type: 'http.request',
      params: { method: 'GET', url: 'https://x.test', connectionId: 'not-an-id' },
    });
    d.edges.push({ from: 'reply', to: 'call' });
    expect(publish(d)).toEqual([{ path: '$.nodes[3].params.connectionId', message: 'must be a connection id (UUID)' }]);
    d.nodes[3].params!.connectionId = '0190c1c5-8f5e-7000-8000-000000000001';
    const res = validateDefinition(d, registry, 'publish');
    expect(res.connections).toEqual([
      { connectionId: '0190c1c5-8f5e-7000-8000-000000000001', path: '$.nodes[3].params.connectionId', nodeId: 'call' },
    ]);
  });

  it('refuses unknown top-level fields and a reserved node id', () => {
    expect(draft({ ...example(), owner: 'x' })).toEqual([{ path: '$.owner', message: 'unknown field' }]);
    const d = example();
    d.nodes[0].id = 'trigger';
    expect(draft(d)[0]).toEqual({ path: '$.nodes[0].id', message: '"trigger" is reserved for the trigger' });
  });
});

describe('definition upgrades', () => {
  it('returns a current definition unchanged and applies migrations in order', () => {
    expect(upgradeDefinition(example())).toMatchObject({ upgraded: false, fromVersion: 1 });
    const migrations = {
      1: (d: Record<string, unknown>) => ({ ...d, nodes: [] }),
      2: (d: Record<string, unknown>) => ({ ...d, edges: [] }),
    };
    const res = upgradeDefinition(example(), migrations as never, 3);
    expect(res).toMatchObject({
      upgraded: true,
      fromVersion: 1,
      definition: { schemaVersion: 3, nodes: [], edges: [] },
    });
  });

  it('refuses a definition newer than the server', () => {
    expect(() => upgradeDefinition({ ...example(), schemaVersion: 2 })).toThrow(/newer/);
  });
});
