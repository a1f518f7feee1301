/** The oldest Node this server runs on: package.json `engines.node` (a test keeps the two equal). */
export const MIN_NODE_VERSION = '24.11.0';

/**
 * One clear line when `version` (process.versions.node) is older than MIN_NODE_VERSION, else undefined. On an
 * older Node the sandbox host cannot start (isolated-vm has no build for it), and every code node would fail.
 */
export function unsupportedNodeMessage(version: string): string | undefined {
  const have = version.split('.').map(Number);
  const need = MIN_NODE_VERSION.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const part = have[i] ?? 0;
    if (part !== need[i]) {
      return part > need[i]
        ? undefined
        : `Tenantflow needs Node ${MIN_NODE_VERSION} or newer; this is Node ${version}.`;
    }
  }
  return undefined;
}
