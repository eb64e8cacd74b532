import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Workspace } from './harness.js';

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));

/** The CLI without blocking the event loop (ws.run does), so that a writer keeps writing meanwhile. */
export function runCliAsync(ws: Workspace, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '-f', ws.config], { env: { ...process.env, ...ws.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
