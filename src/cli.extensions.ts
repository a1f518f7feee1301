import type { INestApplicationContext } from '@nestjs/common';
import { KeyRing } from './core/crypto/key-ring.js';
import { rotateKeys } from './core/crypto/key-rotation.js';
import { Database } from './core/database/database.js';
import { auditVerifyCommand } from './modules/audit/index.js';
import { PluginHost, verifyPluginTables } from './modules/plugins/index.js';

/** A CLI command contributed by a module (e.g. audit verification). */
export interface CliCommand {
  name: string;
  usage: string;
  description: string;
  run(app: INestApplicationContext, options: Record<string, string | boolean | undefined>): Promise<number>;
}

export const CLI_EXTENSIONS: CliCommand[] = [
  {
    name: 'audit:verify',
    usage: 'audit:verify [--org <id>|platform]',
    description: 'Verify audit hash chains; names the first entry that does not verify',
    async run(app, options) {
      const org = typeof options.org === 'string' ? options.org : undefined;
      const { exitCode, output } = await auditVerifyCommand(app.get(Database), org ? ['--org', org] : []);
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
      process.stdout.write(
        problems.length
          ? `${problems.join('\n')}\n`
          : `All required tables of ${plugins.length} plugin(s) are present.\n`,
      );
      return problems.length ? 1 : 0;
    },
  },
  {
    name: 'keys:rotate',
    usage: 'keys:rotate [--new-data-keys] [--org <id>]',
    description: 'Re-encrypt every stored credential under the active key (resumable; servers may keep running)',
    async run(app, options) {
      const orgIds = typeof options.org === 'string' ? [options.org] : undefined;
      const report = await rotateKeys(app.get(Database), app.get(KeyRing), {
        freshDataKeys: options['new-data-keys'] === true,
        orgIds,
      });
      process.stdout.write(
        `Rotated ${report.rotated} of ${report.rows} encrypted values in ${report.orgs} organizations; ${report.purgedKeys} retired data keys deleted.\n`,
      );
      for (const f of report.failed)
        process.stdout.write(`Cannot open ${f.table} ${f.rowId} (org ${f.orgId}): left unchanged\n`);
      return report.failed.length ? 1 : 0;
    },
  },
];
