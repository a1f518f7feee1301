/** DI token of the process's FlowEngine. */
export const ENGINE = Symbol('ENGINE');
