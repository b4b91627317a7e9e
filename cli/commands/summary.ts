/** Human-readable form of a demo or replay summary. */
export function formatSummary(summary: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(summary)) {
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    lines.push(`  ${key.padEnd(18)} ${text}`);
  }
  return lines.join('\n') + '\n';
}
