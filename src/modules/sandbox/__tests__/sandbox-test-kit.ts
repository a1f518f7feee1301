import { expect } from 'vitest';
import type { SandboxErrorType, SandboxResult, SandboxRunInfo } from '../index.js';

/** Every failure must reach the caller within the limit plus this (acceptance rule). */
export const SLACK_MS = 1000;

/** Records `onRun` reports, to see which isolate served which call. */
export class RunLog {
  readonly runs: SandboxRunInfo[] = [];
  readonly onRun = (info: SandboxRunInfo) => {
    this.runs.push(info);
  };

  last(): SandboxRunInfo {
    const info = this.runs.at(-1);
    if (!info) {
      throw new Error('no run recorded');
    }
    return info;
  }

  isolatesOf(orgId: string): Set<string> {
    return new Set(this.runs.filter((r) => r.orgId === orgId && r.isolateId).map((r) => r.isolateId as string));
  }
}

/** Runs `call`, then checks the failure type, the deadline and that nothing of the host leaks in the message. */
export async function expectFailure(
  call: () => Promise<SandboxResult<unknown>>,
  type: SandboxErrorType | SandboxErrorType[],
  deadlineMs: number,
): Promise<{ message: string; elapsed: number }> {
  const started = Date.now();
  const result = await call();
  const elapsed = Date.now() - started;
  if (result.ok) {
    throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  }
  expect([type].flat()).toContain(result.error.type);
  expect(elapsed).toBeLessThan(deadlineMs + SLACK_MS);
  expectNoHostDetails(result.error.message);
  return { message: result.error.message, elapsed };
}

export function expectNoHostDetails(message: string): void {
  // Absolute paths, module files, ivm frames, stack lines.
  expect(message).not.toMatch(/(^|[\s(])\/[\w.-]+\/|node_modules|file:\/\/|\.ts\b|\.mjs\b|isolated-vm| {4}at /);
}
