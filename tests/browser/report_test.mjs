// Browser test of the night report and the live web view: Debian's chromium, headless, via playwright-core.
//
// node report_test.mjs --hypnicd PATH --source DIR --artifacts DIR
//
// Simulates nights, replays them into a fresh state directory, writes the static report and opens it;
// then starts a private mosquitto and hypnicd with the web view on free loopback ports and opens the
// live page (also as Home Assistant ingress would). Checks: no console errors or failed requests, the
// charts' elements, the poll endpoint; keeps screenshots in --artifacts. Exits 0 on success.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ['hypnicd', 'source', 'artifacts']) {
  if (!args[k]) {
    console.error(`usage: node report_test.mjs --hypnicd PATH --source DIR --artifacts DIR (missing --${k})`);
    process.exit(2);
  }
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NIGHTS = 3;

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  // Not installed yet (scripts/deps.sh does it): install the pinned version beside this script.
  const here = path.dirname(new URL(import.meta.url).pathname);
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: here, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`playwright-core is missing and 'npm ci' in ${here} failed: ${r.stderr || r.error}`);
    process.exit(1);
  }
  ({ chromium } = await import('playwright-core'));
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: run scripts/deps.sh (apt package chromium)`);
  process.exit(1);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hypnic-browser-'));
fs.mkdirSync(args.artifacts, { recursive: true });
const children = [];
let failures = 0;
let checks = 0;

function check(ok, what) {
  checks++;
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, probe, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(cmd, argv, log) {
  const out = fs.openSync(path.join(work, log), 'w');
  const child = spawn(cmd, argv, { stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

/** Opens `url` in a fresh page and collects console errors, page errors and failed requests. */
async function open(browser, url, headers = {}) {
  const page = await browser.newPage();
  await page.setExtraHTTPHeaders(headers);
  const context = { close: () => page.close() };
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(url, { waitUntil: 'load' });
  return { context, page, problems };
}

const count = (page, selector) => page.locator(selector).count();

async function main() {
  // A few simulated nights in a real database, as a person's week would be.
  const cfgText = fs
    .readFileSync(path.join(args.source, 'config/demo.yaml'), 'utf8')
    .replace('/var/lib/hypnic', path.join(work, 'state'));
  const replayCfg = path.join(work, 'replay.yaml');
  fs.writeFileSync(replayCfg, cfgText);
  const capture = path.join(work, 'capture.jsonl');
  run(args.hypnicd, ['simulate', '--nights', String(NIGHTS), '--hz', '25', '--timezone', 'Europe/Berlin',
    '--out', capture]);
  run(args.hypnicd, ['replay', '--config', replayCfg, '--capture', capture, '--state-dir', path.join(work, 'state'),
    '--out', path.join(work, 'publications.jsonl')]);
  const report = path.join(work, 'report.html');
  run(args.hypnicd, ['report', '--config', replayCfg, '--state-dir', path.join(work, 'state'), '--last', '1',
    '--out', report]);
  const svg = path.join(work, 'night.svg');
  run(args.hypnicd, ['report', '--config', replayCfg, '--state-dir', path.join(work, 'state'), '--last', '1',
    '--out', svg]);

  // A new profile folder every run (playwright passes it to chromium as --user-data-dir).
  const browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // 1. The static report file.
    {
      const { context, page, problems } = await open(browser, `file://${report}`);
      check(problems.length === 0, `report.html: no console errors (${problems.join('; ') || 'none'})`);
      check((await count(page, 'svg.night-chart')) === 1, 'report.html: one night chart');
      check((await count(page, 'svg.night-chart rect.mark.twitch')) > 0, 'report.html: twitch marks');
      check((await count(page, 'svg.night-chart rect.mark.limb_movement, svg.night-chart rect.mark.large_movement')) > 0,
        'report.html: limb or large movement marks');
      check((await count(page, '[id$="sleep-onset"]')) === 1, 'report.html: sleep onset marked');
      check((await count(page, '[id$="onset-window"]')) === 1, 'report.html: onset window drawn');
      check((await count(page, 'path[id$="envelope"]')) === 1, 'report.html: movement envelope');
      check((await count(page, 'rect.state')) > 1, 'report.html: per-minute sleep/wake strip (stored minutes)');
      check((await count(page, 'rect[id^="trend-bar-"]')) === NIGHTS, `report.html: ${NIGHTS} trend bars`);
      check((await count(page, 'script')) === 0, 'report.html: no script in the static report');
      const box = await page.locator('svg.night-chart').boundingBox();
      check(box && box.width > 500 && box.height > 150, 'report.html: the chart is laid out at a readable size');
      await page.screenshot({ path: path.join(args.artifacts, 'report.png'), fullPage: true });
      await context.close();
    }
    // 2. The chart alone as an .svg file.
    {
      const { context, page, problems } = await open(browser, `file://${svg}`);
      check(problems.length === 0, `night.svg: no errors (${problems.join('; ') || 'none'})`);
      check((await count(page, 'rect.mark')) > 0, 'night.svg: event marks');
      await context.close();
    }

    // 3. The live view from the running daemon.
    const mqttPort = await freePort();
    const webPort = await freePort();
    fs.writeFileSync(path.join(work, 'mosquitto.conf'),
      `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    start('mosquitto', ['-c', path.join(work, 'mosquitto.conf')], 'mosquitto.log');
    const liveCfg = path.join(work, 'live.yaml');
    fs.writeFileSync(liveCfg, cfgText.replace('tcp://localhost:1883', `tcp://127.0.0.1:${mqttPort}`) +
      `web:\n  enabled: true\n  listen: 127.0.0.1\n  port: ${webPort}\n  refresh_s: 2\n`);
    const daemon = start(args.hypnicd, ['run', '--config', liveCfg], 'hypnicd.log');
    const base = `http://127.0.0.1:${webPort}/`;
    await waitFor('the web view', async () => (await fetch(`${base}healthz`)).ok);
    {
      const poll = await (await fetch(`${base}api/night.json`)).json();
      check(typeof poll.version === 'string' && poll.version.length > 0, 'api/night.json: has a version');
      const post = await fetch(base, { method: 'POST', body: 'x' });
      check(post.status === 405, 'POST is refused with 405');
      const missing = await fetch(`${base}etc/passwd`);
      check(missing.status === 404, 'an unknown path is 404');
    }
    {
      const { context, page, problems } = await open(browser, base);
      check((await count(page, 'svg.night-chart')) === 1, 'live page: a night chart');
      check((await count(page, 'rect[id^="trend-bar-"]')) === NIGHTS, `live page: ${NIGHTS} trend bars`);
      check((await count(page, '#advice')) === 1, 'live page: advice section');
      // Let the page poll a few times (refresh_s: 2) to catch errors in the polling script.
      await sleep(5000);
      check(problems.length === 0, `live page: no console errors after polling (${problems.join('; ') || 'none'})`);
      await page.screenshot({ path: path.join(args.artifacts, 'live.png'), fullPage: true });
      await context.close();
    }
    {
      // Home Assistant ingress: the page is opened through a prefix and told it in X-Ingress-Path.
      const { context, page, problems } = await open(browser, base, { 'X-Ingress-Path': '/api/hassio_ingress/t0ken' });
      const href = await page.locator('base').getAttribute('href');
      check(href === '/api/hassio_ingress/t0ken/', `ingress: base href follows X-Ingress-Path (${href})`);
      check((await count(page, 'svg.night-chart')) === 1, 'ingress: the page renders');
      check(problems.length === 0, `ingress: no console errors (${problems.join('; ') || 'none'})`);
      await context.close();
    }
    check(daemon.exitCode === null, 'hypnicd kept running');
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  checks++;
  failures++;
  console.log(`FAIL ${e.message}`);
  for (const log of ['hypnicd.log', 'mosquitto.log']) {
    const p = path.join(work, log);
    if (fs.existsSync(p)) console.log(`--- ${log}\n${fs.readFileSync(p, 'utf8').slice(-4000)}`);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(300);
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`${checks - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
