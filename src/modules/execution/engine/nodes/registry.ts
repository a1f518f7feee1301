import { httpRequestExecutor } from './http-request.executor.js';
import type { NodeExecutor } from './node-executor.js';
import { branchExecutor, codeExecutor, loopExecutor, respondExecutor, transformExecutor } from './simple.executors.js';

/** The built-in node executors. Parameter schemas live in the flows module's node-type registry. */
export const DEFAULT_NODE_EXECUTORS: NodeExecutor[] = [
  transformExecutor, codeExecutor, httpRequestExecutor, branchExecutor, loopExecutor, respondExecutor,
];
