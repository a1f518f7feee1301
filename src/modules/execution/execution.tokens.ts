/** DI token of the process's FlowEngine. */
export const ENGINE = Symbol('ENGINE');

/** DI token of the engine's sandbox port. */
export const SCRIPT_SANDBOX = Symbol('SCRIPT_SANDBOX');
