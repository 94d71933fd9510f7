// What the results were measured on: the machine, the versions, the commit.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { TASKSET } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Packages whose versions the results depend on, with where their package.json is. */
const PACKAGES = [
  ['@m2m-auth/server', 'packages/server'],
  ['@m2m-auth/verifier', 'packages/verifier'],
  ['@m2m-auth/client', 'packages/client'],
  ['jose (ours)', 'packages/verifier/node_modules/jose'],
  ['fastify', 'node_modules/fastify'],
  ['express', 'node_modules/express'],
  ['oidc-provider', 'node_modules/oidc-provider'],
  ['@fastify/jwt', 'node_modules/@fastify/jwt'],
  ['fast-jwt (under @fastify/jwt)', 'node_modules/fast-jwt'],
  ['express-oauth2-jwt-bearer', 'node_modules/express-oauth2-jwt-bearer'],
  ['autocannon', 'node_modules/autocannon'],
];

/** `{ cpu, cores, memoryGiB, os, node, loadAverage, taskset, commit, packages }`. */
export function describeMachine() {
  const cpus = os.cpus();
  const packages = {};
  for (const [name, dir] of PACKAGES) {
    try {
      packages[name] = JSON.parse(readFileSync(`${ROOT}${dir}/package.json`, 'utf8')).version;
    } catch {
      packages[name] = 'not found';
    }
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg(),
    taskset: TASKSET !== undefined,
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
    packages,
  };
}
