import type { INestApplicationContext } from '@nestjs/common';
import { Database } from './core/database/database.js';
import { auditVerifyCommand } from './modules/audit/index.js';
import { PluginHost, verifyPluginTables } from './modules/plugins/index.js';

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
  {
    name: 'plugins:verify',
    usage: 'plugins:verify',
    description: "Check every enabled plugin's required tables and columns; non-zero exit when any is missing",
    async run(app) {
      const plugins = app.get(PluginHost).plugins;
      const problems = [...(await verifyPluginTables(app.get(Database), plugins)).values()].flat();
      process.stdout.write(problems.length ? `${problems.join('\n')}\n` : `All required tables of ${plugins.length} plugin(s) are present.\n`);
      return problems.length ? 1 : 0;
    },
  },
];
