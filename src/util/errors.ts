// A failure that is the user's to fix (bad input, a host that refuses, a refused hazard). The CLI prints
// its message without a stack trace and exits 1. `context` names the host/add-on it concerns.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Prefix an error with what dbform was doing and where, keeping the original message. */
export function withContext(context: string, err: unknown): UserError {
  const msg = err instanceof Error ? err.message : String(err);
  return new UserError(`${context}: ${msg}`);
}
