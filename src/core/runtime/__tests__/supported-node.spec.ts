import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_VERSION, unsupportedNodeMessage } from '../supported-node.js';

const root = new URL('../../../../', import.meta.url);

// The machine's own `node` (outside node_modules/.bin) is what an operator might start the server with by mistake.
function systemNode(): { path: string; version: string } | undefined {
  const found = spawnSync('/usr/bin/env', ['node', '-p', 'process.execPath + " " + process.versions.node'], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    encoding: 'utf8',
  });
  const [path, version] = (found.stdout ?? '').trim().split(' ');
  return found.status === 0 && path && version ? { path, version } : undefined;
}

describe('supported Node', () => {
  it('matches package.json engines', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_VERSION}`);
  });

  it.each([
    ['20.20.2', false],
    ['24.10.9', false],
    ['23.99.0', false],
    ['24.11.0', true],
    ['24.21.0', true],
    ['26.0.0', true],
  ])('Node %s is supported: %s', (version, supported) => {
    const message = unsupportedNodeMessage(version);
    expect(message === undefined).toBe(supported);
    if (message) {
      expect(message).toBe(`Tenantflow needs Node ${MIN_NODE_VERSION} or newer; this is Node ${version}.`);
    }
  });

  const old = systemNode();
  const olderThanNeeded = old !== undefined && unsupportedNodeMessage(old.version) !== undefined;
  it.skipIf(!olderThanNeeded).each(['dist/src/main.js', 'dist/src/cli.js'])(
    'refuses to start %s on an unsupported Node with one clear line (needs npm run build)',
    (entry) => {
      const run = spawnSync(old!.path, ['--no-node-snapshot', entry, 'migrate'], {
        cwd: root,
        env: { PATH: '/usr/bin:/bin', DATABASE_URL: 'postgres://127.0.0.1:1/none' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`${unsupportedNodeMessage(old!.version)}\n`);
    },
  );
});
