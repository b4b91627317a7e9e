/**
 * `provision doctor`: runs the kiosk's self-test checks (provisioning/doctor-checks.ts) in
 * order over one shared context, each giving pass/fail, what it saw and how to fix it. A
 * check whose prerequisite failed is reported as skipped (and the run fails anyway).
 */
import { isWaymarkError } from '../core/errors.js';
import { DoctorContext, PrerequisiteFailed, type CheckResult, type DoctorCheck, type DoctorOptions } from './doctor-context.js';
import { DOCTOR_CHECKS } from './doctor-checks.js';

export type { CheckResult, DoctorCheck, DoctorOptions } from './doctor-context.js';

export interface DoctorReport {
  ok: boolean;
  checks: ({ name: string } & CheckResult)[];
}

export async function runDoctor(options: DoctorOptions, checks: readonly DoctorCheck[] = DOCTOR_CHECKS, onResult?: (r: { name: string } & CheckResult) => void): Promise<DoctorReport> {
  const ctx = new DoctorContext(options);
  const results: ({ name: string } & CheckResult)[] = [];
  try {
    for (const check of checks) {
      let result: CheckResult;
      try {
        result = await check.run(ctx);
      } catch (err) {
        if (err instanceof PrerequisiteFailed) result = { ok: false, skipped: true, detail: `skipped: ${err.message}` };
        else result = { ok: false, detail: isWaymarkError(err) ? `${err.message} (${err.code})` : String((err as Error)?.message ?? err), fix: 'unexpected failure; see the detail' };
      }
      const named = { name: check.name, ...result };
      results.push(named);
      onResult?.(named);
    }
  } finally {
    ctx.close();
  }
  return { ok: results.every((r) => r.ok), checks: results };
}

/** One line per check: `PASS name  detail` and, for a failure, an indented `fix:` line. */
export function formatCheck(r: { name: string } & CheckResult, width = 13): string {
  const tag = r.ok ? 'PASS' : r.skipped ? 'SKIP' : 'FAIL';
  return `${tag}  ${r.name.padEnd(width)} ${r.detail}${!r.ok && r.fix ? `\n      ${''.padEnd(width)} fix: ${r.fix}` : ''}\n`;
}
