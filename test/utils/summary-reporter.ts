import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { SECURITY_TEST_FILES } from '../security/security-tests.js';

/**
 * Prints the plain closing line `N passed, N failed, N skipped` that CI recognises. With CI=true, a skipped test in
 * one of the security test files (test/security/security-tests.ts) fails the run: CI provides what they need, so a
 * skip there means a guard stopped running without anyone noticing.
 */
export default class SummaryReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedSecurity: string[] = [];
    const security = new Set(SECURITY_TEST_FILES);
    for (const mod of testModules) {
      const file = relative(this.root, mod.moduleId).split('\\').join('/');
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          if (security.has(file)) skippedSecurity.push(`${file} > ${test.fullName}`);
        }
      }
      // A file that fails outside any test (import error, failing beforeAll) leaves its tests skipped: count it.
      const anyTestFailed = [...mod.children.allTests()].some((t) => t.result().state === 'failed');
      if (mod.state() === 'failed' && !anyTestFailed) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (skippedSecurity.length === 0) return;
    const ci = process.env.CI === 'true' || process.env.CI === '1';
    process.stdout.write(
      `${skippedSecurity.length} security test(s) skipped${ci ? ' (CI=true: the run fails)' : ''}:\n`,
    );
    for (const name of skippedSecurity) process.stdout.write(`  skipped security test: ${name}\n`);
    if (ci) process.exitCode = 1;
  }
}
