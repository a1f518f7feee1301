import type { IsolateEntry } from './isolate-entry.js';
import { IsolatePool } from './isolate-pool.js';
import { runJob } from './job-runner.js';
import { MemoryBudget, RSS_CHECK_MS } from './memory-budget.js';
import type { FatalNotice, HostConfig, HostToPool, JobRequest, JobResponse, PoolToHost } from './protocol.js';

// Main of a sandbox host process (see sandbox-pool.ts for why isolates live in a separate process).

const FATAL_SEND_GRACE_MS = 200;

const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig;
const pool = new IsolatePool(config, (entry: IsolateEntry, message: string) => {
  die(/terminate/i.test(message) ? 'timeout' : 'memory', entry.currentJobId === undefined ? [] : [entry.currentJobId]);
});
let dying = false;
const budget = new MemoryBudget(config.jobMemoryBudgetMb, config.hostMemoryLimitMb);

// Replies are coalesced: every result ready in one event-loop turn leaves in one IPC message (one write).
let outbox: JobResponse[] = [];

function send(message: HostToPool): void {
  process.send?.(message);
}

function sendResult(result: JobResponse): void {
  outbox.push(result);
  if (outbox.length === 1) {
    setImmediate(flushResults);
  }
}

function flushResults(): void {
  const results = outbox;
  outbox = [];
  if (!dying && results.length > 0) {
    send({ type: 'results', results });
  }
}

/**
 * After a catastrophic OOM, or with code stuck in an uninterruptible builtin past its deadline, the isolate's
 * thread is lost and its memory unrecoverable (measured: ~42 MB and one thread leaked per hit), and exit
 * handlers could wait on that thread: report the culprit, then SIGKILL ourselves.
 */
function die(limit: FatalNotice['limit'], jobIds: number[]): void {
  if (dying) {
    return;
  }
  flushResults(); // finished jobs still get their answers
  dying = true;
  const kill = () => process.kill(process.pid, 'SIGKILL');
  setTimeout(kill, FATAL_SEND_GRACE_MS);
  process.send?.({ type: 'fatal', limit, jobIds } satisfies FatalNotice, kill);
}

async function handleJob(job: JobRequest): Promise<void> {
  const lease = await pool.acquire(job.orgId, job.session);
  const { entry } = lease;
  entry.currentJobId = job.id;
  budget.jobStarted(job.id);
  const run = await runJob(entry, job, config, () => die('timeout', [job.id]), lease.session);
  budget.jobEnded(job.id);
  pool.release(lease, run.healthy, job.timeoutMs);
  if (!dying) {
    sendResult({ type: 'result', id: job.id, isolateId: entry.id, outcome: run.outcome });
  }
}

function handleMessage(message: PoolToHost): void {
  if (message.type === 'job') {
    void handleJob(message);
  } else if (message.type === 'close') {
    pool.closeSession(message.orgId, message.session);
  } else if (message.type === 'batch') {
    message.messages.forEach(handleMessage);
  } else if (message.type === 'shutdown') {
    pool.disposeAll();
    process.exit(0);
  }
}

// The backstop for memory the isolate limit does not see (memory-budget.ts).
const rssTimer = setInterval(() => {
  if (!dying && budget.exceeded()) {
    die('memory', pool.busyJobIds());
  }
}, RSS_CHECK_MS);
rssTimer.unref();

process.on('message', handleMessage);
// The API process is gone (or closed the pool): nothing will ever collect our results.
process.on('disconnect', () => {
  pool.disposeAll();
  process.exit(0);
});
send({ type: 'ready' });
