import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { RENDER_FORMATS, type RenderFormat } from '../render/index.js';
import { UserError } from '../util/errors.js';
import { err } from './output.js';

// The only place that reads argv. Commands are loaded on use: plan never pays for the S3 SDK or the
// certificate library that only apply and backups need. Exit codes (SPEC): 0 success / nothing to do, 1 error,
// 2 changes present (plan --detailed-exitcode, drift).

const USAGE = `Usage: dbform <command> [-f databases.yaml] [options]

Commands:
  validate                      check the file; no host is contacted
  plan [--out FILE] [--format text|markdown|json] [--detailed-exitcode]
  drift [--format markdown|text|json]   exit 2 with a report when the live state differs from the file
  apply [PLANFILE] [--auto-approve] [--allow-hazards CODE,...] [--lock-timeout SECONDS]
                                [--expect-fingerprint FP]  refuse unless the plan is exactly the reviewed one
  output ADDON [--user NAME | --all | --ca]   connection URLs (DATABASE_URL), or the CA certificate
  backups list|create|download|verify ADDON [--backup ID] [--out FILE]
  hosts keyscan HOST            print the hostKey line to pin for a host (name in the file, or ADDRESS[:PORT])

Exit codes: 0 success or nothing to do, 1 error, 2 changes present (--detailed-exitcode).`;

function format(value: string | undefined, fallback: RenderFormat): RenderFormat {
  const f = (value ?? fallback) as RenderFormat;
  if (!RENDER_FORMATS.includes(f)) throw new UserError(`--format must be one of ${RENDER_FORMATS.join(', ')}`);
  return f;
}

function seconds(value: string, flag: string): number {
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag} must be a number of seconds, got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f', default: 'databases.yaml' },
      out: { type: 'string' },
      format: { type: 'string' },
      'detailed-exitcode': { type: 'boolean', default: false },
      'auto-approve': { type: 'boolean', default: false },
      'allow-hazards': { type: 'string' },
      'lock-timeout': { type: 'string', default: '0' },
      'expect-fingerprint': { type: 'string' },
      user: { type: 'string' },
      all: { type: 'boolean', default: false },
      ca: { type: 'boolean', default: false },
      backup: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 1;
  }
  const file = values.file!;
  switch (command) {
    case 'validate':
      return (await import('./commands/validate.js')).validateCommand(file);
    case 'plan':
      return (await import('./commands/plan.js')).planCommand({ file, out: values.out, format: format(values.format, 'text'), detailedExitcode: values['detailed-exitcode']! });
    case 'drift':
      return (await import('./commands/drift.js')).driftCommand({ file, format: format(values.format, 'markdown') });
    case 'apply':
      return (await import('./commands/apply.js')).applyCommand({
        file,
        planFile: rest[0],
        autoApprove: values['auto-approve']!,
        allowHazards: values['allow-hazards'],
        lockTimeoutSeconds: seconds(values['lock-timeout']!, '--lock-timeout'),
        expectFingerprint: values['expect-fingerprint'],
      });
    case 'backups':
      if (!rest[0] || !rest[1]) throw new UserError('usage: dbform backups list|create|download|verify ADDON [--backup ID] [--out FILE]');
      return (await import('./commands/backups.js')).backupsCommand({ file, action: rest[0], addon: rest[1], backup: values.backup, out: values.out });
    case 'hosts':
      if (rest[0] !== 'keyscan' || !rest[1]) throw new UserError('usage: dbform hosts keyscan HOST|ADDRESS[:PORT]');
      return (await import('./commands/keyscan.js')).keyscanCommand(file, rest[1]);
    case 'output':
      if (!rest[0]) throw new UserError('usage: dbform output ADDON [--user NAME | --all]');
      return (await import('./commands/output.js')).outputCommand({ file, addon: rest[0], user: values.user, all: values.all!, ca: values.ca! });
    default:
      throw new UserError(`unknown command ${command}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Config errors are already `FILE:LINE:COL: message` lines, as editors and CI annotations expect.
    if (e instanceof ConfigError) err(e.message);
    else if (e instanceof UserError) err(`Error: ${e.message}`);
    else if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) err(`Error: ${(e as Error).message}\n\n${USAGE}`);
    else err(`Error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
