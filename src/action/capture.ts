// Runs a CLI command in-process and keeps a copy of what it prints (already redacted by the CLI's
// out/err), so the result can be posted on the pull request while the job log still shows it live.

export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (originals[i] as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } catch (e) {
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { capturedOutput: chunks.join('') });
  } finally {
    streams.forEach((stream, i) => {
      stream.write = originals[i]!;
    });
  }
}

/** What a failed captureOutput printed before it threw. */
export function capturedOutputOf(e: unknown): string {
  return (e as { capturedOutput?: string }).capturedOutput ?? '';
}
