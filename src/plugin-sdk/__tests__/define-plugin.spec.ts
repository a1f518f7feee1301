import { describe, expect, it } from 'vitest';
import { checkPluginDefinition, definePlugin, pluginTablePrefix } from '../index.js';

const valid = { name: 'acme-guard', version: '1.0.0', hooks: { onAuthorize: () => undefined } };

describe('definePlugin', () => {
  it('accepts a valid definition and freezes it', () => {
    const p = definePlugin(valid);
    expect(p.name).toBe('acme-guard');
    expect(Object.isFrozen(p) && Object.isFrozen(p.hooks)).toBe(true);
  });

  it.each([
    [{ ...valid, name: 'Acme Guard' }, 'name must be lower-case letters, digits and dashes'],
    [{ ...valid, version: '' }, 'version is required'],
    [{ ...valid, hooks: { onFoo: () => undefined } }, 'unknown hook "onFoo"'],
    [{ ...valid, hooks: { onRequest: 'nope' } }, 'hook "onRequest" must be a function'],
    [{ ...valid, mode: 'root' }, 'mode must be "trusted" or "sandboxed"'],
    [{ ...valid, priority: 1.5 }, 'priority must be a whole number'],
    [
      { ...valid, requiredTables: [{ name: 'Bad-Name', columns: ['a'] }] },
      'required table "Bad-Name" is not a valid table name',
    ],
    [{ ...valid, requiredTables: [{ name: 't', columns: [] }] }, 'required table "t" must list its columns'],
    [{ ...valid, budgets: { requestMs: 0 } }, 'budgets must be whole milliseconds from 1 to 10000'],
    [
      { ...valid, mode: 'sandboxed', migrations: [class {}] },
      'a sandboxed plugin cannot own tables (it has no database access)',
    ],
    [{ ...valid, extra: true }, 'unknown field "extra"'],
  ])('refuses %o with one line naming the plugin and the problem', (def, problem) => {
    expect(checkPluginDefinition(def as never)).toContain(problem);
    expect(() => definePlugin(def as never)).toThrow(`plugin "${(def as { name: string }).name}": ${problem}`);
  });

  it('names the tables a plugin owns', () => {
    expect(pluginTablePrefix('usage-meter')).toBe('plugin_usage_meter_');
  });
});
