import { loadConfig } from '../../config/load.js';
import { out } from '../terminal.js';

export function validateCommand(file: string): number {
  const config = loadConfig(file);
  const users = config.addons.reduce((n, a) => n + a.users.length, 0);
  out(`${file}: valid (${config.hosts.length} host${config.hosts.length === 1 ? '' : 's'}, ${config.addons.length} add-on${config.addons.length === 1 ? '' : 's'}, ${users} user${users === 1 ? '' : 's'})`);
  return 0;
}
