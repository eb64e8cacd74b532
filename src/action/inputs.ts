// The action's inputs (action.yml), checked once. Takes a getter so this file stays free of @actions/*
// (only index.ts imports it) and can be tested with a plain object.

import { parseAllowedHazards } from '../apply/gate.js';
import { UserError } from '../util/errors.js';

export type ActionCommand = 'plan' | 'apply' | 'drift';
const COMMANDS: readonly ActionCommand[] = ['plan', 'apply', 'drift'];

export interface ActionInputs {
  command: ActionCommand;
  config: string;
  token: string;
  allowHazards?: string;
  workingDirectory?: string;
  lockTimeoutSeconds: number;
  commentAuthor: string;
}

export function readInputs(get: (name: string) => string): ActionInputs {
  const command = get('command') as ActionCommand;
  if (!COMMANDS.includes(command)) throw new UserError(`input command must be one of ${COMMANDS.join(', ')}, got ${JSON.stringify(command)}`);
  const allowHazards = get('allow-hazards') || undefined;
  parseAllowedHazards(allowHazards); // an unknown code fails now, before any host is contacted
  const lockTimeout = Number(get('lock-timeout') || '300');
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new UserError(`input lock-timeout must be a number of seconds, got ${get('lock-timeout')}`);
  return {
    command,
    config: get('config') || 'databases.yaml',
    token: get('github-token'),
    allowHazards,
    workingDirectory: get('working-directory') || undefined,
    lockTimeoutSeconds: lockTimeout,
    commentAuthor: get('comment-author'),
  };
}
