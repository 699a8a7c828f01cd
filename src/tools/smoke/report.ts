import type { SmokeReport } from './walk.ts';

/** Cuts a detail to the table's width; the progress lines above the table carry it whole. */
function clip(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/** The pass/fail table printed at the end of a walk, with what the walk left behind. */
export function renderReport(report: SmokeReport): string {
  const nameWidth = Math.max(4, ...report.steps.map((s) => s.name.length));
  const lines = [
    '',
    `Smoke test of ${report.url}`,
    '',
    `${'#'.padStart(2)}  ${'step'.padEnd(nameWidth)}  result  ${'time'.padStart(9)}  detail`,
  ];
  report.steps.forEach((step, i) => {
    lines.push(
      `${String(i + 1).padStart(2)}  ${step.name.padEnd(nameWidth)}  ${step.outcome.toUpperCase().padEnd(6)}  ${`${step.ms} ms`.padStart(9)}  ${clip(step.detail, 100)}`,
    );
  });
  const count = (outcome: string) => report.steps.filter((s) => s.outcome === outcome).length;
  lines.push('', `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
  if (report.leftBehind.length > 0) {
    lines.push('', 'Left behind (the API cannot remove these):');
    for (const item of report.leftBehind) lines.push(`  - ${item}`);
  }
  lines.push('', report.passed ? 'SMOKE TEST PASSED' : 'SMOKE TEST FAILED');
  return lines.join('\n');
}
