import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_NAME_PATTERN } from './plugin-sdk/index.js';

const source = (name: string) => `import { definePlugin } from 'tenantflow/plugin-sdk';

/** ${name}: what it does, in one line. Enable it with TENANTFLOW_PLUGINS=${name}, then per org (PUT /api/v1/plugins/${name}/config). */
export default definePlugin<{ denyAction?: string }>({
  name: '${name}',
  version: '0.1.0',
  configSchema: { type: 'object', additionalProperties: false, properties: { denyAction: { type: 'string' } } },
  hooks: {
    onAuthorize(ctx) {
      if (ctx.config.denyAction && ctx.action === ctx.config.denyAction) return { decision: 'deny', reason: 'denied_by_${name.replace(/-/g, '_')}' };
      return { decision: 'abstain' };
    },
  },
});
`;

const spec = (name: string) => `import { callHook } from 'tenantflow/plugin-sdk';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

const request = { method: 'POST', path: '/api/v1/flows/x/publish', params: {} };
const principal = { type: 'api_key' as const, id: 'k' };

describe('${name}', () => {
  it('denies the configured action and abstains otherwise', async () => {
    const ctx = { principal, subject: 'Flow', request, config: { denyAction: 'publish' } };
    expect(await callHook(plugin, 'onAuthorize', { ctx: { ...ctx, action: 'publish' } })).toEqual({ decision: 'deny', reason: 'denied_by_${name.replace(/-/g, '_')}' });
    expect(await callHook(plugin, 'onAuthorize', { ctx: { ...ctx, action: 'read' } })).toEqual({ decision: 'abstain' });
  });
});
`;

/** `plugins:new <name>`: a plugin folder under plugins/ with a working hook and its test, ready to edit. */
export function scaffoldPlugin(root: string, name: string | undefined): string {
  if (!name || !PLUGIN_NAME_PATTERN.test(name))
    throw new Error('plugins:new needs a name of lower-case letters, digits and dashes');
  const dir = join(root, 'plugins', name);
  if (existsSync(dir)) throw new Error(`plugins/${name} already exists`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), source(name));
  writeFileSync(join(dir, `${name}.spec.ts`), spec(name));
  return `Created plugins/${name}/index.ts and plugins/${name}/${name}.spec.ts. Run its test with: npx vitest run plugins/${name}\n`;
}
