// The host process's memory backstop. Some memory is not charged to an isolate's heap limit: ICU memory of Intl
// objects (~1 GB in 4 s under a 64 MiB limit, measured), and a builtin V8 cannot interrupt (`new Array(2 ** 30)
// .fill(0)` grows ~50 MB/s past the limit). So the host samples its RSS often and, while jobs run, allows only
// a bounded growth per running job, counted from the RSS when the oldest of them started; past it, or past the
// absolute budget, the running jobs are blamed and the host dies (see host-main.ts).

const MIB = 1024 * 1024;
export const RSS_CHECK_MS = 20;

export class MemoryBudget {
  /** RSS when each running job started. */
  private readonly started = new Map<number, number>();
  private readonly perJobBytes: number;
  private readonly absoluteBytes: number;
  private readonly rss: () => number;

  constructor(perJobMb: number, absoluteMb: number, rss: () => number = () => process.memoryUsage.rss()) {
    this.perJobBytes = perJobMb * MIB;
    this.absoluteBytes = absoluteMb * MIB;
    this.rss = rss;
  }

  jobStarted(jobId: number): void {
    this.started.set(jobId, this.rss());
  }

  jobEnded(jobId: number): void {
    this.started.delete(jobId);
  }

  /** True when the host is past its budget: the running jobs are to blame. */
  exceeded(): boolean {
    const rss = this.rss();
    if (rss > this.absoluteBytes) {
      return true;
    }
    if (this.started.size === 0) {
      return false;
    }
    let reference = Infinity;
    for (const start of this.started.values()) {
      reference = Math.min(reference, start);
    }
    return rss - reference > this.started.size * this.perJobBytes;
  }
}
