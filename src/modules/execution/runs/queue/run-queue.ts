import { Job, Queue, Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { ExecutionException } from '../../execution.exception.js';

/** What a queued job carries: ids only (the launch data is sealed in the run row) and the trace context. */
export interface RunJobData {
  runId: string;
  orgId: string;
  trace?: Record<string, string>;
}

const QUEUE = 'runs';
/** BullMQ's largest priority; lower runs first. */
const MAX_PRIORITY = 2_097_151;
/** A backlog counter of an org with no queued run for this long starts again from zero (it can only drift upwards). */
const BACKLOG_TTL_MS = 10 * 60_000;

/**
 * The BullMQ run queue in Redis. Producers (the `api` processes) fail fast while Redis is unreachable (no offline
 * queue: the caller answers 503); workers block on their own connection and reconnect forever.
 *
 * Fairness: each org's queued runs are counted in Redis, and a job's priority is its org's backlog when it was queued
 * (1 for the first, 2 for the second, ...). A run of an org with nothing queued goes ahead of another org's burst,
 * and orgs with equal backlogs alternate: one org's flood cannot starve the others. The same counter caps an org's
 * backlog (TENANTFLOW_RUN_MAX_QUEUED, 429 above).
 */
export class RunQueue {
  private producerClient?: Redis;
  private queue?: Queue<RunJobData>;
  private readonly workers: Worker<RunJobData>[] = [];

  /** BullMQ's key prefix and the backlog counters', behind TENANTFLOW_REDIS_KEY_PREFIX like every other key. */
  private readonly prefix: string;

  constructor(
    private readonly url: string,
    keyPrefix = '',
  ) {
    this.prefix = `${keyPrefix}tf`;
  }

  private backlogKey(orgId: string): string {
    return `${this.prefix}:backlog:${orgId}`;
  }

  private parkedKey(orgId: string): string {
    return `${this.prefix}:parked:${orgId}`;
  }

  private get redis(): Redis {
    this.producerClient ??= new Redis(this.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    // Errors surface on commands (the caller answers 503); the client reconnects by itself.
    this.producerClient.on('error', () => undefined);
    return this.producerClient;
  }

  private get producer(): Queue<RunJobData> {
    this.queue ??= new Queue<RunJobData>(QUEUE, { connection: this.redis, prefix: this.prefix });
    return this.queue;
  }

  /** Waits until the producer connection is ready (it refuses commands until then rather than queueing them). */
  async connect(timeoutMs = 10_000): Promise<void> {
    const redis = this.redis;
    if (redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis (REDIS_URL) did not answer')), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Counts a run in its org's backlog; its priority, or 429 when the org has `max` runs queued already. */
  async reserve(orgId: string, max: number): Promise<number> {
    const [[, n]] = (await this.redis
      .multi()
      .incr(this.backlogKey(orgId))
      .pexpire(this.backlogKey(orgId), BACKLOG_TTL_MS)
      .exec())!;
    const count = Number(n);
    if (count > max) {
      await this.release(orgId);
      throw new ExecutionException('run_limit_reached', 'Too many runs queued for this organization; retry later', {
        headers: { 'Retry-After': '1' },
      });
    }
    return Math.min(Math.max(count, 1), MAX_PRIORITY);
  }

  /** A run left its org's backlog (a worker took it, or it was never queued). */
  async release(orgId: string): Promise<void> {
    await this.redis.decr(this.backlogKey(orgId)).catch(() => undefined);
  }

  async add(data: RunJobData, priority: number): Promise<void> {
    await this.producer.add('run', data, {
      jobId: data.runId,
      priority,
      // A job whose run a worker could not take for a passing reason (the database restarting) is retried; after
      // that it is removed, so the re-queue sweep can add it again while its run is still queued.
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  /**
   * A job whose org is at its concurrency limit waits delayed for `ms` (a backstop) in its org's parked list; the
   * next run of that org to end promotes it (`unpark`). Event-driven: a large backlog of one org costs nothing while
   * it waits (no polling), so it does not slow the other orgs' runs.
   */
  async park(job: RunJob, token: string | undefined, ms: number): Promise<void> {
    await job.moveToDelayed(Date.now() + ms, token);
    const key = this.parkedKey(job.data.orgId);
    await this.redis.multi().rpush(key, job.id!).pexpire(key, BACKLOG_TTL_MS).exec();
  }

  /** A run of the org ended: its oldest parked job goes back to the queue now. */
  async unpark(orgId: string): Promise<void> {
    for (;;) {
      const id = await this.redis.lpop(this.parkedKey(orgId));
      if (!id) return;
      const job = await Job.fromId<RunJobData>(this.producer, id);
      // Already promoted by its backstop delay, or gone: try the next one.
      if (job && (await job.isDelayed())) {
        await job.promote().catch(() => undefined);
        return;
      }
    }
  }

  /** Jobs waiting (prioritized included), delayed (their org at its concurrency limit) and active. */
  async counts(): Promise<{ waiting: number; delayed: number; active: number }> {
    const c = await this.producer.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0 };
  }

  /** Starts consuming; `close()` stops taking jobs and waits for the ones in progress. */
  startWorker(processor: Processor<RunJobData>, concurrency: number, onError: (e: Error) => void): Worker<RunJobData> {
    const connection = new Redis(this.url, { maxRetriesPerRequest: null, connectTimeout: 2000 });
    connection.on('error', () => undefined);
    const worker = new Worker<RunJobData>(QUEUE, processor, {
      connection,
      prefix: this.prefix,
      concurrency,
      // A worker that dies mid-run loses its lock within 30 s; the job is then handed to another worker, which
      // finds the run no longer queued and leaves it to run recovery (failed with a reason, never run twice).
      lockDuration: 30_000,
      stalledInterval: 15_000,
      maxStalledCount: 1,
    });
    worker.on('error', onError);
    this.workers.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await this.queue?.close().catch(() => undefined);
    this.producerClient?.disconnect();
  }
}

export type RunJob = Job<RunJobData>;
