// Browser test of the night report and the live web view: Debian's chromium, headless, via playwright-core.
//
// node report_test.mjs --hypnicd PATH --source DIR --artifacts DIR
//
// Simulates nights up to "now" in a zone where it is 02:xx at night (so the last night is still open),
// replays them into a fresh state directory, writes the static report and opens it; then starts a
// private mosquitto and hypnicd with the web view on free loopback ports, which resumes the open night,
// and opens the live page directly and through an ingress proxy that behaves like Home Assistant's
// (the add-on under /api/hassio_ingress/<token>/, prefix stripped, X-Ingress-Path set). Checks: no
// console errors or failed requests, the charts' elements, the open night's phases and onset, that
// every request stays under the ingress prefix, the peer allow-list; keeps screenshots in --artifacts.
// Exits 0 on success.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
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
const NIGHTS = 3;  // closed nights; one more is still open at "now"
const INGRESS_PREFIX = '/api/hassio_ingress/Xq0_aB12-token';

/**
 * A zone where it is now 02:00-02:59 at night, so that the simulated last night has its lights-out
 * and sleep onset behind it and is still open. Etc/GMT-N is UTC+N (POSIX signs).
 */
function nightZone(nowMs) {
  let offset = (((2 - new Date(nowMs).getUTCHours()) % 24) + 24) % 24;
  if (offset > 14) offset -= 24;
  const name = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  const localDate = (ms) => new Date(ms + offset * 3600e3).toISOString().slice(0, 10);
  return { name, tonight: localDate(nowMs - 86400e3), firstEvening: localDate(nowMs - (NIGHTS + 1) * 86400e3) };
}

/**
 * Home Assistant's ingress, as far as the add-on can tell: the page lives under INGRESS_PREFIX on
 * another origin; the prefix is stripped, X-Ingress-Path names it, and X-Forwarded-For is added
 * (homeassistant/components/hassio/ingress.py, supervisor/api/ingress.py). Requests outside the
 * prefix are answered 404 and remembered, since a URL escaping the prefix would miss the add-on.
 */
function startIngressProxy(upstreamPort) {
  const seen = { forwarded: [], escaped: [] };
  const server = http.createServer((req, res) => {
    if (req.url !== INGRESS_PREFIX && !req.url.startsWith(`${INGRESS_PREFIX}/`)) {
      seen.escaped.push(req.url);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not under the ingress prefix\n');
      return;
    }
    const path = req.url.slice(INGRESS_PREFIX.length) || '/';
    seen.forwarded.push(path);
    const headers = { ...req.headers, 'x-ingress-path': INGRESS_PREFIX,
      'x-forwarded-for': req.socket.remoteAddress, host: `127.0.0.1:${upstreamPort}` };
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => res.writeHead(502).end(`upstream: ${e.message}\n`));
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port })));
}

/** One GET from a given local address (127.0.0.0/8 is all loopback on Linux): status and body. */
function getFrom(localAddress, url) {
  return new Promise((resolve, reject) => {
    http.get(url, { localAddress }, (r) => {
      let body = '';
      r.on('data', (c) => { body += c; });
      r.on('end', () => resolve({ status: r.statusCode, body }));
    }).on('error', reject);
  });
}

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
  // A few simulated nights in a real database, as a person's week would be, up to half a minute
  // ago: the last night is still open, and the daemon started below resumes it from the checkpoint.
  const zone = nightZone(Date.now());
  console.log(`zone ${zone.name}: nights from ${zone.firstEvening}, tonight is ${zone.tonight}`);
  const cfgText = fs
    .readFileSync(path.join(args.source, 'config/demo.yaml'), 'utf8')
    .replace('/var/lib/hypnic', path.join(work, 'state'))
    .replace('timezone: Europe/Berlin', `timezone: ${zone.name}`);
  const replayCfg = path.join(work, 'replay.yaml');
  fs.writeFileSync(replayCfg, cfgText);
  const capture = path.join(work, 'capture.jsonl');
  run(args.hypnicd, ['simulate', '--nights', String(NIGHTS + 1), '--hz', '25', '--timezone', zone.name,
    '--start', zone.firstEvening, '--out', capture]);
  run(args.hypnicd, ['replay', '--config', replayCfg, '--capture', capture, '--state-dir', path.join(work, 'state'),
    '--until', new Date(Date.now() - 30e3).toISOString(), '--out', path.join(work, 'publications.jsonl')]);
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
    // The add-on's allow-list: the Supervisor and the container itself (here: the proxy on 127.0.0.1).
    fs.writeFileSync(liveCfg, cfgText.replace('tcp://localhost:1883', `tcp://127.0.0.1:${mqttPort}`) +
      `web:\n  enabled: true\n  listen: 127.0.0.1\n  port: ${webPort}\n  refresh_s: 2\n` +
      '  allow_from: ["172.30.32.2", "127.0.0.1"]\n');
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
      // Another loopback address is outside the allow-list: 403, and the log names the peer once.
      const other = await getFrom('127.0.0.2', base);
      check(other.status === 403, `a peer outside web.allow_from gets 403 (${other.status})`);
      await getFrom('127.0.0.2', `${base}api/night.json`);
      await sleep(200);
      const log = fs.readFileSync(path.join(work, 'hypnicd.log'), 'utf8');
      check((log.match(/refused 127\.0\.0\.2/g) || []).length === 1, 'the refusal is logged once, naming the peer');
    }
    {
      const { context, page, problems } = await open(browser, base);
      check((await count(page, 'svg.night-chart')) === 1, 'live page: a night chart');
      check((await count(page, 'rect[id^="trend-bar-"]')) === NIGHTS, `live page: ${NIGHTS} trend bars`);
      check((await count(page, '#advice')) === 1, 'live page: advice section');
      check((await page.locator('section.night h2').textContent()).includes(`Tonight, ${zone.tonight}`),
        'live page: tonight is open');
      // Let the page poll a few times (refresh_s: 2) to catch errors in the polling script.
      await sleep(5000);
      check(problems.length === 0, `live page: no console errors after polling (${problems.join('; ') || 'none'})`);
      await page.screenshot({ path: path.join(args.artifacts, 'live.png'), fullPage: true });
      await context.close();
    }
    // Home Assistant ingress: the page through a proxy that serves it under a prefix, as the panel does.
    const proxy = await startIngressProxy(webPort);
    try {
      const outside = [];
      for (const entry of [`${INGRESS_PREFIX}/`, INGRESS_PREFIX]) {
        const url = `http://127.0.0.1:${proxy.port}${entry}`;
        const { context, page, problems } = await open(browser, url);
        page.on('request', (r) => {
          if (!r.url().startsWith(`http://127.0.0.1:${proxy.port}${INGRESS_PREFIX}/`)) outside.push(r.url());
        });
        const href = await page.locator('base').getAttribute('href');
        check(href === `${INGRESS_PREFIX}/`, `ingress ${entry}: base href follows X-Ingress-Path (${href})`);
        check((await count(page, 'svg.night-chart')) === 1, `ingress ${entry}: the night chart`);
        check((await count(page, 'rect[id^="trend-bar-"]')) === NIGHTS, `ingress ${entry}: the trend chart`);
        check((await count(page, 'path[id$="envelope"]')) === 1, `ingress ${entry}: the movement envelope`);
        check((await count(page, 'rect.state')) > 1, `ingress ${entry}: the decided minutes so far`);
        // The open night so far: its phases up to now, lights-out, the onset and its window.
        check((await count(page, '[id$="phases"] rect.phase.asleep')) >= 1 &&
          (await count(page, '[id$="phases"] rect.phase.settling, [id$="phases"] rect.phase.awake_in_bed')) >= 1,
        `ingress ${entry}: the open night's phases so far`);
        check((await count(page, '[id$="lights-out"]')) === 1, `ingress ${entry}: lights-out marked`);
        check((await count(page, '[id$="sleep-onset"]')) === 1, `ingress ${entry}: sleep onset marked`);
        check((await count(page, '[id$="onset-window"]')) === 1, `ingress ${entry}: the onset window`);
        check((await count(page, '[id="n0-now"]')) === 1, `ingress ${entry}: now marked`);
        const now = await page.locator('[id$="phase-now"]').textContent();
        // Asleep at 02:xx in almost every simulated night, but a night may hold a wake spell then.
        check(/^(asleep|waking|out of bed) since \d\d:\d\d$/.test(now), `ingress ${entry}: the phase now (${now})`);
        // The poll endpoint names the same phase (underscores for spaces), so a dashboard can read it.
        const polled = await (await fetch(`${base}api/night.json`)).json();
        check(polled.phase === now.replace(/ since .*$/, '').replace(/ /g, '_'),
          `ingress ${entry}: api/night.json names the phase now (${polled.phase})`);
        const polls = proxy.seen.forwarded.filter((p) => p.startsWith('/api/night.json')).length;
        await sleep(4500);  // refresh_s: 2, so at least two polls through the proxy
        check(proxy.seen.forwarded.filter((p) => p.startsWith('/api/night.json')).length >= polls + 2,
          `ingress ${entry}: the page polls through the prefix`);
        check(problems.length === 0, `ingress ${entry}: no console errors (${problems.join('; ') || 'none'})`);
        if (entry.endsWith('/')) await page.screenshot({ path: path.join(args.artifacts, 'ingress.png'), fullPage: true });
        await context.close();
      }
      check(outside.length === 0, `ingress: every request stayed under the prefix (${outside.join(', ') || 'all did'})`);
      check(proxy.seen.escaped.length === 0,
        `ingress: no URL escaped the prefix (${proxy.seen.escaped.join(', ') || 'none did'})`);
    } finally {
      proxy.server.close();
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
