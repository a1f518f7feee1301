import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scaffoldPlugin } from '../../plugin-scaffold.js';

describe('plugins:new', () => {
  const root = mkdtempSync(join(tmpdir(), 'tf-scaffold-'));
  afterEach(() => rmSync(join(root, 'plugins'), { recursive: true, force: true }));

  it('writes a plugin made with definePlugin and a test that calls its hook through the harness', () => {
    expect(scaffoldPlugin(root, 'acme-guard')).toContain('plugins/acme-guard/index.ts');
    const src = readFileSync(join(root, 'plugins/acme-guard/index.ts'), 'utf8');
    expect(src).toContain("from 'tenantflow/plugin-sdk'");
    expect(src).toContain("name: 'acme-guard'");
    expect(readFileSync(join(root, 'plugins/acme-guard/acme-guard.spec.ts'), 'utf8')).toContain(
      "callHook(plugin, 'onAuthorize'",
    );
  });

  it('refuses a bad name and an existing folder', () => {
    expect(() => scaffoldPlugin(root, 'Acme Guard')).toThrow('lower-case');
    expect(() => scaffoldPlugin(root, undefined)).toThrow('lower-case');
    scaffoldPlugin(root, 'twice');
    expect(() => scaffoldPlugin(root, 'twice')).toThrow('already exists');
  });
});
