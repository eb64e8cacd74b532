// A last line of defence: every secret dbform resolves is registered here, and everything the CLI
// prints (plans, progress, errors) passes through redact(). Plans never carry secrets by construction;
// this catches what a driver or a host might echo back in an error message.

const known = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('***');
  // URLs with a password in them, whoever built them.
  return out.replace(/(postgres(?:ql)?:\/\/[^:\s/@]+:)[^@\s]+@/g, '$1***@');
}
