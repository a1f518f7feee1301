import type * as ChildProcess from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SandboxPool } from '../../../sandbox/index.js';
import { FlowEngine } from '../flow-engine.js';
import { INTERNAL_ERROR_MESSAGE, toStepFailure } from '../run-errors.js';
import { SandboxPoolAdapter } from '../sandbox-pool.adapter.js';
import { engineRun, flow } from './support.js';

// A sandbox host that cannot run (as on Node 20): Node prints a stack with file paths and exits. The run error
// must carry a type and a fixed message, never that output.
vi.mock('node:child_process', async (importOriginal) => {
  const original = await importOriginal<typeof ChildProcess>();
  return {
    ...original,
    fork: ((_entry: string, args: string[], options: object) =>
      original.fork('/nonexistent/sandbox/host-entry.js', args, options)) as typeof original.fork,
  };
});

const HOST_DETAILS = /\/nonexistent|node:internal|\n| {4}at |\.js:\d/;

const sandbox = new SandboxPoolAdapter(new SandboxPool({ hostProcesses: 1 }));
afterAll(() => sandbox.close());

describe('run errors when the sandbox host cannot run', () => {
  it('fails the code node with a typed, fixed message and no host stack', async () => {
    const engine = new FlowEngine({ sandbox });
    const out = await engine.execute(engineRun(flow([{ id: 'c', type: 'code', params: { code: 'return 1;' } }])));
    expect(out.status).toBe('failed');
    expect(out.error).toEqual({ type: 'node_error', message: 'The sandbox is unavailable', nodeId: 'c' });
    expect(JSON.stringify(out)).not.toMatch(HOST_DETAILS);
  });

  it('turns any unknown error with a stack or paths into a fixed message', () => {
    const leaky = new Error("Cannot find module '/srv/app/dist/host.js'\nRequire stack:\n- /srv/app/x.js");
    expect(toStepFailure(leaky)).toMatchObject({ type: 'node_error', message: INTERNAL_ERROR_MESSAGE });
    expect(toStepFailure(new Error('at file:///srv/app/a.mjs:3:9'))).toMatchObject({ message: INTERNAL_ERROR_MESSAGE });
    expect(toStepFailure(new Error('Request refused: quota'))).toMatchObject({ message: 'Request refused: quota' });
  });
});
