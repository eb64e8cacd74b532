// One quoting helper for every command line dbform sends to a host (local sh or SSH exec):
// arguments are always single-quoted, so names with spaces, quotes or `;` stay one literal argument.

export function shq(arg: string | number): string {
  const s = String(arg);
  if (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: Array<string | number>): string {
  return argv.map(shq).join(' ');
}
