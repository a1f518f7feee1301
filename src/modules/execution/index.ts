/** Public API of the execution module: the engine, runs, extension points and the types webhooks need. */
export { ExecutionModule } from './execution.module.js';
export {
  RUN_LAUNCHER,
  type RunLauncher,
  type LaunchRequest,
  type AwaitedRun,
  type ActiveRunInfo,
} from './runs/run-launcher.port.js';
export { OrgRuntimeCache, type OrgRuntimeInfo } from './runs/org-runtime.js';
export { ExecutionException, EXECUTION_ERROR_HTTP, type ExecutionErrorCode } from './execution.exception.js';
export { ExecutionHooks, type BeforeNodeExecuteEvent, type BeforeNodeExecuteHook } from './engine/execution-hooks.js';
export { RunRecoveryService } from './runs/run-recovery.service.js';
export {
  FLOWS_CHANNEL,
  ORGS_CHANNEL,
  RUN_CANCEL_CHANNEL,
  RUN_EVENTS_CHANNEL,
  type RunEvent,
} from './runs/run-channels.js';
export {
  FLOW_SOURCE,
  type FlowSource,
  type RunnableFlow,
  type WebhookFlowInfo,
} from './definition/flow-source.port.js';
export type { NodeExecutionContext, NodeExecutor, NodeResult, RespondOutput } from './engine/nodes/node-executor.js';
export { NodeTypes, type NodeTypeDefinition, type RegisteredNodeType } from './engine/nodes/node-types.js';
export type { RunOutcome, RunStatus, TriggerPayload } from './engine/run-types.js';
export type { RunError, RunErrorType } from './engine/run-errors.js';
export { RunEntity, StepRunEntity } from './runs/run.entity.js';
export { FlowEngine, type FlowEngineDeps } from './engine/flow-engine.js';
export { SandboxPoolAdapter } from './engine/sandbox-pool.adapter.js';
export type { ScriptSandbox, SandboxLimits, SandboxScope } from './engine/sandbox.port.js';
