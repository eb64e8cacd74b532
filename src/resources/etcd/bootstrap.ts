import type { HaContainerSpec } from '../ha/model.js';

// etcd's bootstrap flags (--initial-cluster, --initial-cluster-state) tell a member how to make its data
// directory the first time it starts; once that directory exists, etcd ignores them. A member that joined a
// running store (etcd/move-apply.ts) started with the members of that moment and "existing"; the members of
// a store made together, with every declared member and "new". So two members that run the same store differ
// only by these flags, and so does a member from the file once the store's members change: the spec a running
// member is compared with takes its own bootstrap flags (the container's label hashes the command it ran).

const FLAGS = ['--initial-cluster', '--initial-cluster-state'] as const;

export interface Bootstrap {
  cluster: string;
  state: 'new' | 'existing';
}

/** `spec` with its bootstrap flags set to `b`. */
export function withBootstrap(spec: HaContainerSpec, b: Bootstrap): HaContainerSpec {
  const values: Record<string, string> = { '--initial-cluster': b.cluster, '--initial-cluster-state': b.state };
  return { ...spec, command: spec.command.map((arg, i) => (i > 0 && spec.command[i - 1]! in values ? values[spec.command[i - 1]!]! : arg)) };
}

/** The bootstrap flags of a command as run (docker's Config.Cmd); null when it has not both. */
export function bootstrapOf(command: readonly string[] | undefined): Bootstrap | null {
  if (!command) return null;
  const value = (flag: string) => {
    const i = command.indexOf(flag);
    return i >= 0 ? command[i + 1] : undefined;
  };
  const cluster = value(FLAGS[0]);
  const state = value(FLAGS[1]);
  return cluster && (state === 'new' || state === 'existing') ? { cluster, state } : null;
}

/** The desired spec as the running member would have it: with the bootstrap flags it started with. */
export function asStarted(spec: HaContainerSpec, command: readonly string[] | undefined): HaContainerSpec {
  const b = bootstrapOf(command);
  return b ? withBootstrap(spec, b) : spec;
}
