/** Collects what would be printed with console.warn / console.log until teardown restores them. */
export function captureConsole(t: { teardown(fn: () => unknown): void }): string[] {
  const printed: string[] = [];
  const { warn, log } = console;
  console.warn = (...a: unknown[]) => void printed.push(a.join(' '));
  console.log = (...a: unknown[]) => void printed.push(a.join(' '));
  t.teardown(() => {
    console.warn = warn;
    console.log = log;
  });
  return printed;
}
