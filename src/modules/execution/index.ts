/** Public API of the execution module: the engine, runs, extension points and the types webhooks need. */
export { ExecutionModule } from './execution.module.js';
export { ExecutionService, type StartRunRequest, type StartedRun } from './execution.service.js';
export { ExecutionException, EXECUTION_ERROR_HTTP, type ExecutionErrorCode } from './execution.exception.js';
export { ExecutionHooks, type BeforeNodeExecuteEvent, type BeforeNodeExecuteHook } from './engine/execution-hooks.js';
export { RunRecoveryService, FLOWS_CHANNEL } from './runs/run-recovery.service.js';
export { FLOW_SOURCE, type FlowSource, type RunnableFlow, type WebhookFlowInfo } from './definition/flow-source.port.js';
export type { NodeExecutionContext, NodeExecutor, NodeResult, RespondOutput } from './engine/nodes/node-executor.js';
export { NodeTypes, type NodeTypeDefinition, type RegisteredNodeType } from './engine/nodes/node-types.js';
export type { RunOutcome, RunStatus, TriggerPayload } from './engine/run-types.js';
export type { RunError, RunErrorType } from './engine/run-errors.js';
export { RunEntity, StepRunEntity } from './runs/run.entity.js';
export { FlowEngine, type FlowEngineDeps } from './engine/flow-engine.js';
export { SandboxPoolAdapter } from './engine/sandbox-pool.adapter.js';
export type { ScriptSandbox, SandboxLimits, SandboxScope } from './engine/sandbox.port.js';
