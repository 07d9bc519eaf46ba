import type { TestResult } from '../ipc/protocol';

/** Named checks as a table: one line per check, the fix indented under a failure. */
export function formatSteps(title: string, r: TestResult): string {
  const width = Math.max(4, ...r.steps.map((s) => s.name.length));
  const lines = [title];
  for (const s of r.steps) {
    lines.push(`  ${!s.ok ? 'FAIL' : s.warn ? 'warn' : 'ok  '}  ${s.name.padEnd(width)}  ${s.note}`);
    if ((!s.ok || s.warn) && s.fix) lines.push(`        ${' '.repeat(width)}  → ${s.fix}`);
  }
  if (r.steps.length === 0) lines.push('  (no checks ran)');
  return lines.join('\n');
}
