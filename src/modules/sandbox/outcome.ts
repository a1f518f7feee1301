import type { HostCallResult } from './host-process.js';
import { sandboxMessages, type SubjectWord } from './sandbox.errors.js';
import type { JsonValue, ResolvedPoolOptions, SandboxErrorType, SandboxResult } from './sandbox.types.js';

/** A result plus the expression that failed, when the host could tell (for evaluateAll's message). */
export type RawResult = SandboxResult & { expressionIndex?: number; isolateId?: string };

/**
 * Turns what a host reported into a SandboxResult. Value JSON, messages and console lines were produced
 * inside the isolate: they are parsed and bounded here as untrusted data.
 */
export function toSandboxResult(call: HostCallResult, subject: SubjectWord, options: ResolvedPoolOptions): RawResult {
  if (call.status === 'unresponsive') {
    return failure('timeout', sandboxMessages.timeout(subject, options.timeoutMs), []);
  }
  if (call.status === 'crashed' && call.blame === 'timeout') {
    return failure('timeout', sandboxMessages.timeout(subject, options.timeoutMs), []);
  }
  if (call.status === 'crashed') {
    // Blamed for memory, or caught in a second host death in a row: memory is the only plausible cause.
    return failure('memory', sandboxMessages.memory(subject, options.memoryLimitMb), []);
  }
  const { outcome, isolateId } = call.response;
  switch (outcome.kind) {
    case 'value':
      return { ...readValue(outcome.json, outcome.consoleJson, subject, options), isolateId };
    case 'error': {
      const message =
        outcome.type === 'memory' ? sandboxMessages.memory(subject, options.memoryLimitMb) : outcome.message;
      const console = readConsole(outcome.consoleJson, options.consoleMaxBytes);
      return { ...failure(outcome.type, message, console), expressionIndex: outcome.expressionIndex, isolateId };
    }
    case 'output_too_large': {
      const console = readConsole(outcome.consoleJson, options.consoleMaxBytes);
      const message = sandboxMessages.outputTooLarge(subject, options.outputMaxBytes);
      return { ...failure('user_error', message, console), isolateId };
    }
    case 'timeout': {
      const console = readConsole(outcome.consoleJson, options.consoleMaxBytes);
      return { ...failure('timeout', sandboxMessages.timeout(subject, options.timeoutMs), console), isolateId };
    }
    case 'memory':
      return { ...failure('memory', sandboxMessages.memory(subject, options.memoryLimitMb), []), isolateId };
  }
}

function failure(type: SandboxErrorType, message: string, console: string[]): SandboxResult {
  return { ok: false, error: { type, message }, console };
}

function readValue(json: string, consoleJson: string, subject: SubjectWord, options: ResolvedPoolOptions) {
  const console = readConsole(consoleJson, options.consoleMaxBytes);
  try {
    return { ok: true as const, value: JSON.parse(json) as JsonValue, console };
  } catch {
    return failure('user_error', sandboxMessages.invalidResult(subject), console);
  }
}

const TRUNCATED_MARKER = '[console output truncated]';

/** Parses console lines and enforces the byte budget exactly (the isolate counted UTF-16 units). */
export function readConsole(consoleJson: string, maxBytes: number): string[] {
  let lines: unknown;
  try {
    lines = JSON.parse(consoleJson);
  } catch {
    return [];
  }
  if (!Array.isArray(lines)) {
    return [];
  }
  const kept: string[] = [];
  let room = maxBytes;
  // The marker itself is not charged to the budget, so a capped console always says it was capped.
  for (const line of lines) {
    if (typeof line !== 'string') {
      continue;
    }
    const size = Buffer.byteLength(line);
    if (size > room) {
      const head = line === TRUNCATED_MARKER ? '' : truncateToBytes(line, room);
      kept.push(...(head ? [head] : []), TRUNCATED_MARKER);
      break;
    }
    kept.push(line);
    room -= size;
  }
  return kept;
}

function truncateToBytes(text: string, maxBytes: number): string {
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes) {
    // Each UTF-16 unit is at most 3 UTF-8 bytes, so this removes at least the excess, in few steps.
    cut = cut.slice(0, cut.length - Math.ceil((Buffer.byteLength(cut) - maxBytes) / 3));
  }
  return cut;
}
