import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Database } from '../../core/database/database.js';
import { Readiness } from '../../core/health/readiness.js';
import { NoRateLimit, Public } from '../../core/http/decorators.js';
import { Metrics } from '../../core/metrics/metrics.js';

@ApiExcludeController()
@Public()
@NoRateLimit()
@Controller()
export class HealthController {
  constructor(
    private readonly db: Database,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 only when the database answers, migrations are applied and every registered check passes. */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const problems: Record<string, string[]> = {};
    try {
      await this.db.app.query('SELECT 1');
      if (!(await this.db.migrationsApplied())) problems.migrations = ['pending migrations'];
    } catch {
      problems.database = ['database unreachable'];
    }
    Object.assign(problems, await this.readiness.problems());
    const ok = Object.keys(problems).length === 0;
    res.status(ok ? 200 : 503).json(ok ? { status: 'ready' } : { status: 'not_ready', problems });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.render();
  }
}
