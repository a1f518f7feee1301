import { unsupportedNodeMessage } from './supported-node.js';

// Imported first by the server and the CLI entry points: ES modules evaluate in import order, so this runs
// before anything that an old Node could fail on with a stack trace.
const refusal = unsupportedNodeMessage(process.versions.node);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
