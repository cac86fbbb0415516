// Finding and running Docker Compose for the tests that check docker-compose.yml. No Docker engine
// is needed: `config` only reads, interpolates and validates the files.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isExecutable } from '../../src/stack/executables.ts';
import { REPO_ROOT } from '../../src/stack/temporal.ts';

/** How to run Compose: a program and the arguments that come before Compose's own. */
export interface ComposeCommand {
  program: string;
  prefix: string[];
}

/** COMPOSE_PATH, else the binary scripts/install-tools.sh built in .tools/bin, else the Docker CLI's
 * compose plugin, else `docker-compose` on PATH; undefined when none of them answers `version`. */
export function findCompose(): ComposeCommand | undefined {
  const candidates: ComposeCommand[] = [];
  for (const file of [process.env.COMPOSE_PATH, path.join(REPO_ROOT, '.tools', 'bin', 'docker-compose')]) {
    if (file && isExecutable(file)) candidates.push({ program: file, prefix: [] });
  }
  candidates.push({ program: 'docker', prefix: ['compose'] }, { program: 'docker-compose', prefix: [] });
  return candidates.find((compose) => spawnSync(compose.program, [...compose.prefix, 'version'], { stdio: 'ignore', timeout: 20_000 }).status === 0);
}


export interface ComposeResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs Compose in the repository with an environment of PATH and HOME only, so that variables of
 * the machine (COMPOSE_FILE, COMPOSE_PROFILES, the stack's port overrides) do not change the result. */
export function runCompose(compose: ComposeCommand, args: string[], input?: string): ComposeResult {
  const result = spawnSync(compose.program, [...compose.prefix, ...args], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? REPO_ROOT },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Any YAML file read with Compose's own YAML reader (as an `x-` extension of an empty project), so
 * that the tests need no YAML library. `$` is doubled: Compose would otherwise interpolate it. */
export function readYamlWithCompose(compose: ComposeCommand, yamlText: string): unknown {
  const indented = yamlText.split('$').join('$$').split('\n').map((line) => `  ${line}`).join('\n');
  const project = `services: {}\nx-document:\n${indented}\n`;
  const result = runCompose(compose, ['--project-name', 'yaml-reader', '-f', '-', 'config', '--format', 'json'], project);
  if (result.status !== 0) throw new Error(`Compose could not read the YAML: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { 'x-document': unknown })['x-document'];
}
