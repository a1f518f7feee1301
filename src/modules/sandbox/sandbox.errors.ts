import type { SandboxErrorInfo, SandboxErrorType, SandboxResult } from './sandbox.types.js';

/** Base of the sandbox error taxonomy; `toJSON()` gives the serializable `SandboxErrorInfo`. */
export abstract class SandboxError extends Error {
  abstract readonly type: SandboxErrorType;

  toJSON(): SandboxErrorInfo {
    return { type: this.type, message: this.message };
  }
}

export class SandboxTimeoutError extends SandboxError {
  readonly type = 'timeout' as const;
  override readonly name = 'SandboxTimeoutError';
}

export class SandboxMemoryError extends SandboxError {
  readonly type = 'memory' as const;
  override readonly name = 'SandboxMemoryError';
}

export class SandboxUserError extends SandboxError {
  readonly type = 'user_error' as const;
  override readonly name = 'SandboxUserError';
}

/**
 * A sandbox host process could not start or answer (for example on an unsupported Node). The message is fixed
 * and safe to show anyone; `detail` (the host's stderr, with paths and a stack) is for the server's log only.
 */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  declare readonly detail: string;

  constructor(detail: string) {
    super(sandboxMessages.unavailable);
    Object.defineProperty(this, 'detail', { value: detail, enumerable: false });
  }
}

/** Turns a serialized failure back into its typed error, e.g. to throw it from the execution engine. */
export function sandboxErrorFromInfo(info: SandboxErrorInfo): SandboxError {
  switch (info.type) {
    case 'timeout':
      return new SandboxTimeoutError(info.message);
    case 'memory':
      return new SandboxMemoryError(info.message);
    case 'user_error':
      return new SandboxUserError(info.message);
  }
}

/** Returns the value of a successful result, or throws its typed `SandboxError`. */
export function unwrapSandboxResult<T>(result: SandboxResult<T>): T {
  if (result.ok) {
    return result.value;
  }
  throw sandboxErrorFromInfo(result.error);
}

/** 'Code' for code nodes, 'Expression' for `{{ }}` evaluation: the word the flow author sees. */
export type SubjectWord = 'Code' | 'Expression';

export const sandboxMessages = {
  timeout: (subject: SubjectWord, timeoutMs: number) => `${subject} exceeded the ${timeoutMs} ms time limit`,
  memory: (subject: SubjectWord, memoryLimitMb: number) => `${subject} exceeded the ${memoryLimitMb} MiB memory limit`,
  outputTooLarge: (subject: SubjectWord, maxBytes: number) =>
    `${subject} result is larger than the ${maxBytes}-byte output limit`,
  invalidResult: (subject: SubjectWord) => `${subject} produced a result that could not be read`,
  unavailable: 'The sandbox is unavailable',
};
