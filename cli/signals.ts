/** Waiting on the CLI's abort signal (SIGINT/SIGTERM), optionally with a time limit. */

/** Resolves when `signal` aborts, or after `ms` when given. */
export function untilAborted(signal: AbortSignal, ms?: number): Promise<void> {
  return new Promise<void>((done) => {
    if (signal.aborted) return done();
    const timer = ms === undefined ? undefined : setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
