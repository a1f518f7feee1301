import type { INestApplicationContext } from '@nestjs/common';
import { Database } from './core/database/database.js';
import { auditVerifyCommand } from './modules/audit/index.js';

/** A CLI command contributed by a module (e.g. audit verification). */
export interface CliCommand {
  name: string;
  usage: string;
  description: string;
  run(app: INestApplicationContext, options: Record<string, string | undefined>): Promise<number>;
}

export const CLI_EXTENSIONS: CliCommand[] = [
  {
    name: 'audit:verify',
    usage: 'audit:verify [--org <id>|platform]',
    description: 'Verify audit hash chains; names the first entry that does not verify',
    async run(app, options) {
      const { exitCode, output } = await auditVerifyCommand(app.get(Database), options.org ? ['--org', options.org] : []);
      process.stdout.write(`${output}\n`);
      return exitCode;
    },
  },
];
