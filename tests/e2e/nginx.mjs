// Debian's nginx running deploy/nginx.conf as shipped, with only its ports and file paths swapped in:
// what the proxy test checks is the configuration self-hosters install.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './support.mjs';

const shipped = path.resolve('deploy/nginx.conf');
const binary = process.env.NGINX ?? '/usr/sbin/nginx';

// deploy/nginx.conf with `upstreams` (instance ports on 127.0.0.1) and a listening port of our own; the
// temporary files of a non-root nginx go to `dir`.
export function testConfig(dir, port, upstreams) {
  const text = readFileSync(shipped, 'utf8');
  const servers = [...text.matchAll(/^(\s*)server 127\.0\.0\.1:(\d+)(.*)$/gm)];
  if (servers.length !== upstreams.length) {
    throw new Error(`deploy/nginx.conf has ${servers.length} upstream servers, the test runs ${upstreams.length}`);
  }
  let out = text;
  servers.forEach((m, i) => { out = out.replace(m[0], `${m[1]}server 127.0.0.1:${upstreams[i]}${m[3]}`); });
  if (!/^\s*listen 80;$/m.test(out)) throw new Error('deploy/nginx.conf no longer listens on port 80');
  out = out.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${dir}/${t};`).join('\n');
  out = out.replace(/^http \{$/m, `http {\n${temp}`);
  return out;
}

// Starts nginx in the foreground in front of the instances on `upstreams`, listening on `port` (a free
// one by default); resolves once it answers.
export async function startNginx(upstreams, port = 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eelchat-nginx-'));
  chmodSync(dir, 0o755); // as root, nginx's workers run as nobody
  if (!port) port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, testConfig(dir, port, upstreams));
  const global = `daemon off; master_process on; pid ${dir}/nginx.pid; error_log ${dir}/error.log;`;
  execFileSync(binary, ['-t', '-q', '-p', dir, '-c', conf, '-g', global], { stdio: 'pipe' });
  const proc = spawn(binary, ['-p', dir, '-c', conf, '-g', global], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  const base = `http://localhost:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error('nginx exited:\n' + log + readLog(dir));
    const res = await fetch(base + '/healthz').catch(() => null);
    if (res) break;
    if (i > 100) throw new Error('nginx never answered:\n' + log + readLog(dir));
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    port,
    log: () => log + readLog(dir),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir) {
  try { return readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; }
}
