import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../core/config/app-config.js';
import { RedisHolder } from '../../core/redis/redis.js';
import { Metrics } from '../../core/metrics/metrics.js';
import { Tracing } from '../../core/tracing/tracing.js';
import { ConnectionsModule, ConnectionsRuntime } from '../connections/index.js';
import { FlowsModule, NodeTypeRegistry } from '../flows/index.js';
import { PluginHost } from '../plugins/index.js';
import { SecretResolverService, SecretsModule } from '../secrets/index.js';
import { pluginNodeHook } from './plugin-node-hook.js';
import { FLOW_SOURCE } from './definition/flow-source.port.js';
import { FlowsRuntimeAdapter } from './definition/flows-runtime.adapter.js';
import { ExecutionHooks } from './engine/execution-hooks.js';
import { FlowEngine } from './engine/flow-engine.js';
import { NodeTypes } from './engine/nodes/node-types.js';
import { SandboxPool } from '../sandbox/index.js';
import { SandboxPoolAdapter } from './engine/sandbox-pool.adapter.js';
import type { ScriptSandbox } from './engine/sandbox.port.js';
import { ENGINE, SCRIPT_SANDBOX } from './execution.tokens.js';
import { RunsController } from './runs.controller.js';
import { RunsService } from './runs.service.js';
import { INSTANCE_ID, newInstanceId } from './runs/instance.js';
import { EgressRefusalAudit } from './runs/egress-refusal-audit.js';
import { ChangeRelay } from './runs/change-relay.js';
import { InProcessRunLauncher } from './runs/in-process-run-launcher.js';
import { OrgRuntimeCache } from './runs/org-runtime.js';
import { RUN_LAUNCHER } from './runs/run-launcher.port.js';
import { RunRecoveryService } from './runs/run-recovery.service.js';
import { RunRetentionService } from './runs/run-retention.service.js';
import { InProcessRunSlots, RUN_SLOTS } from './runs/run-slots.js';
import { RunWriter } from './runs/run-writer.js';
import { ScheduleService } from './runs/schedule.service.js';
import { RunAdmission } from './runs/run-admission.js';
import { RunExecutor } from './runs/run-executor.js';
import { LocalRuns } from './runs/queue/local-runs.js';
import { QueueRunLauncher } from './runs/queue/queue-run-launcher.js';
import { RedisRunSlots } from './runs/queue/redis-run-slots.js';
import { RunQueue } from './runs/queue/run-queue.js';
import { RunWorker } from './runs/queue/run-worker.service.js';

/** Runs execute in this process (`all`) or go through the BullMQ queue to `worker` processes (`api`, `worker`). */
const queued = (c: AppConfig): boolean => c.get('TENANTFLOW_MODE') !== 'all';
import { countSandboxFailures, RunTelemetry } from './telemetry/run-telemetry.js';

@Module({
  imports: [FlowsModule, ConnectionsModule, SecretsModule],
  controllers: [RunsController],
  providers: [
    { provide: INSTANCE_ID, useFactory: newInstanceId },
    {
      provide: SCRIPT_SANDBOX,
      inject: [AppConfig, Metrics],
      useFactory: (c: AppConfig, metrics: Metrics) =>
        new SandboxPoolAdapter(
          new SandboxPool({
            timeoutMs: c.get('TENANTFLOW_SANDBOX_TIMEOUT'),
            memoryLimitMb: c.get('TENANTFLOW_SANDBOX_MEMORY_MB'),
            hostProcesses: c.get('TENANTFLOW_SANDBOX_PROCESSES'),
            maxIsolatesPerOrg: c.get('TENANTFLOW_SANDBOX_ISOLATES_PER_ORG'),
            outputMaxBytes: c.get('TENANTFLOW_STEP_OUTPUT_LIMIT') * 8,
            onRun: countSandboxFailures(metrics),
          }),
        ),
    },
    {
      provide: ExecutionHooks,
      inject: [PluginHost, NodeTypeRegistry],
      useFactory: (host: PluginHost, registry: NodeTypeRegistry) => {
        const hooks = new ExecutionHooks();
        if (host.has('beforeNodeExecute')) hooks.registerBeforeNodeExecute('plugins', pluginNodeHook(host, registry));
        return hooks;
      },
    },
    // Node types over the flows module's registry, so a type registered here is also what publish validates against.
    {
      provide: NodeTypes,
      inject: [NodeTypeRegistry],
      useFactory: (schemas: NodeTypeRegistry) => new NodeTypes(schemas),
    },
    {
      provide: ENGINE,
      inject: [SCRIPT_SANDBOX, ExecutionHooks, NodeTypes, ConnectionsRuntime, SecretResolverService, Tracing],
      useFactory: (
        sandbox: ScriptSandbox,
        hooks: ExecutionHooks,
        nodeTypes: NodeTypes,
        connections: ConnectionsRuntime,
        secrets: SecretResolverService,
        tracing: Tracing,
      ) => new FlowEngine({ sandbox, hooks, nodeTypes, connections, secrets, tracing }),
    },
    { provide: FLOW_SOURCE, useClass: FlowsRuntimeAdapter },
    // Org concurrency: counted in this process, or across every worker in Redis.
    {
      provide: RUN_SLOTS,
      inject: [AppConfig, RedisHolder],
      useFactory: (c: AppConfig, redis: RedisHolder) =>
        queued(c) && redis.client ? new RedisRunSlots(redis.client) : new InProcessRunSlots(),
    },
    // Only the queue's connections are opened lazily: in `all` mode nothing connects to it.
    {
      provide: RunQueue,
      inject: [AppConfig],
      useFactory: (c: AppConfig) => new RunQueue(c.get('REDIS_URL') ?? '', c.get('TENANTFLOW_REDIS_KEY_PREFIX')),
    },
    // The one place that chooses where runs execute.
    {
      provide: RUN_LAUNCHER,
      inject: [AppConfig, InProcessRunLauncher, QueueRunLauncher],
      useFactory: (c: AppConfig, inProcess: InProcessRunLauncher, queue: QueueRunLauncher) =>
        queued(c) ? queue : inProcess,
    },
    InProcessRunLauncher,
    QueueRunLauncher,
    RunWorker,
    LocalRuns,
    RunAdmission,
    RunExecutor,
    RunTelemetry,
    RunWriter,
    OrgRuntimeCache,
    ChangeRelay,
    RunsService,
    RunRecoveryService,
    RunRetentionService,
    ScheduleService,
    EgressRefusalAudit,
  ],
  exports: [RUN_LAUNCHER, OrgRuntimeCache, ExecutionHooks, NodeTypes, RunRecoveryService, FLOW_SOURCE],
})
export class ExecutionModule implements OnApplicationShutdown {
  constructor(@Inject(SCRIPT_SANDBOX) private readonly sandbox: ScriptSandbox) {}

  // After every onModuleDestroy (runs drained by the run launcher), so no run loses its sandbox mid-step.
  async onApplicationShutdown(): Promise<void> {
    await this.sandbox.close();
  }
}
