import { Injectable } from '@nestjs/common';
import type { ActiveRunInfo } from '../run-launcher.port.js';

/** The runs this worker process executes now (run recovery and `isActive` ask it). */
@Injectable()
export class LocalRuns {
  private readonly runs = new Map<string, ActiveRunInfo & { controller: AbortController }>();

  add(runId: string, info: ActiveRunInfo, controller: AbortController): void {
    this.runs.set(runId, { ...info, controller });
  }

  delete(runId: string): void {
    this.runs.delete(runId);
  }

  get(runId: string): ActiveRunInfo | undefined {
    const r = this.runs.get(runId);
    if (!r) return undefined;
    const { controller: _c, ...info } = r;
    return info;
  }

  abort(runId: string): void {
    this.runs.get(runId)?.controller.abort();
  }

  abortAll(): void {
    for (const r of this.runs.values()) r.controller.abort();
  }

  get size(): number {
    return this.runs.size;
  }
}
