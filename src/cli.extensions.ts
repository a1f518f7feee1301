import type { INestApplicationContext } from '@nestjs/common';

/** A CLI command contributed by a module (e.g. audit verification). */
export interface CliCommand {
  name: string;
  usage: string;
  description: string;
  run(app: INestApplicationContext, options: Record<string, string | undefined>): Promise<number>;
}

export const CLI_EXTENSIONS: CliCommand[] = [];
