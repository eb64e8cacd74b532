import { ConfigError } from '../config/load.js';
import { UserError } from '../util/errors.js';
import { parseCommandLine, type Invocation } from './args.js';
import { err } from './terminal.js';

// The only place that reads argv (parsed by ./args.ts, per command). Commands are loaded on use: plan never
// pays for the S3 SDK or the certificate library that only apply and backups need. Exit codes (SPEC):
// 0 success / nothing to do, 1 error, 2 changes present (plan --detailed-exitcode, drift).

async function run(inv: Invocation): Promise<number> {
  switch (inv.command) {
    case 'validate':
      return (await import('./commands/validate.js')).validateCommand(inv.file);
    case 'plan':
      return (await import('./commands/plan.js')).planCommand(inv);
    case 'drift':
      return (await import('./commands/drift.js')).driftCommand(inv);
    case 'apply':
      return (await import('./commands/apply.js')).applyCommand(inv);
    case 'backups':
      if (inv.action === 'drill') return (await import('./commands/drill.js')).drillCommand(inv);
      return (await import('./commands/backups.js')).backupsCommand(inv);
    case 'restore':
      return (await import('./commands/restore.js')).restoreCommand(inv);
    case 'hosts keyscan':
      return (await import('./commands/keyscan.js')).keyscanCommand(inv.file, inv.target);
    case 'output':
      return (await import('./commands/output.js')).outputCommand(inv);
    case 'logs':
      return (await import('./commands/logs.js')).logsCommand(inv);
    case 'restore pitr':
      return (await import('./commands/restore-pitr.js')).restorePitrCommand(inv);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(inv);
    case 'queries':
      return (await import('./commands/queries.js')).queriesCommand(inv);
    case 'metrics':
      return (await import('./commands/metrics.js')).metricsCommand(inv.file);
    case 'dashboard':
      return (await import('./commands/dashboard.js')).dashboardCommand(inv);
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text + '\n');
    return parsed.exitCode;
  }
  if (parsed.kind === 'error') throw new UserError(parsed.message);
  return run(parsed.invocation);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Config errors are already `FILE:LINE:COL: message` lines, as editors and CI annotations expect.
    if (e instanceof ConfigError) err(e.message);
    else if (e instanceof UserError) err(`Error: ${e.message}`);
    else err(`Error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
