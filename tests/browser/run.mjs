#!/usr/bin/env node
// Browser tests for advice-site: what a reader on a cheap phone actually gets.
//
// Starts the real release binary, crawls it from "/", and checks every page in
// Debian's Chromium: axe-core (light and dark), keyboard use, reflow at phone
// widths and with 200% text, reading without JavaScript, print styles, page
// weight and that nothing is fetched from anywhere else. Writes screenshots to
// screenshots/ for a person to look at.
//
//   node tests/browser/run.mjs               # starts target/release/advice-site
//   node tests/browser/run.mjs --url URL     # tests a server that is already running
//
// The last line is always "N passed, N failed"; the exit code is 1 if any
// check failed (or could not run).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SERVER_BIN = path.join(ROOT, 'target/release/advice-site');
const SCREENSHOT_DIR = path.join(ROOT, 'screenshots');

// Debian's Chromium: CI installs it with apt. Nothing here may download a browser.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const VIEWPORT_HEIGHT = 800;
// Every page is loaded once per view, and each view says what to do with it.
// Colour does not change layout, so layout is checked in light only; 320px is
// the narrowest phone WCAG's reflow rule asks for.
const VIEWS = [
  { width: 320, scheme: 'light', layout: true },
  { width: 375, scheme: 'light', axe: true, layout: true, screenshot: true },
  { width: 375, scheme: 'dark', axe: true, screenshot: true },
  { width: 1280, scheme: 'light', axe: true, layout: true, screenshot: true },
  { width: 1280, scheme: 'dark', axe: true, screenshot: true },
];
// 14 KiB is about what a server can send in the first round trip (TCP's
// initial window of 10 packets), which is what a slow phone connection feels.
const HTML_GZIP_BUDGET = 14 * 1024;
const CSS_GZIP_BUDGET = 10 * 1024;
// Site chrome that wastes paper. `where: 'article'` = only article pages have it.
const PRINT_HIDDEN = [
  { selector: '.skip-link', where: 'all' },
  { selector: '.exit-bar', where: 'all' },
  { selector: '.site-header', where: 'all' },
  { selector: '.site-footer', where: 'all' },
  { selector: '.share', where: 'article' },
];
const NOT_FOUND_PATH = '/no-such-page';
// A hung browser or server must not eat CI's time.
const TOTAL_TIMEOUT_MS = 10 * 60 * 1000;
const STEP_TIMEOUT_MS = 20 * 1000;

// ---------------------------------------------------------------------------
// Reporting: each check returns a list of problems; an empty list is a pass.

let passed = 0;
let failed = 0;

let notes = null; // notes made during a check, printed under its result line

async function check(name, fn) {
  let problems;
  notes = [];
  try {
    problems = (await fn()) || [];
  } catch (err) {
    problems = [`could not run: ${err && err.stack ? err.stack : err}`];
  }
  if (problems.length === 0) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}`);
    for (const p of problems) console.log(indent(p, '     '));
  }
  for (const n of notes) console.log(n);
  notes = null;
}

// Information, never a failure: sizes, counts, things for a person to look at.
function note(text) {
  const line = indent(text, '     note: ');
  if (notes) notes.push(line);
  else console.log(line);
}

function indent(text, prefix) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((line) => prefix + line).join('\n');
}

function finish(code) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed > 0 ? 1 : 0));
}

// ---------------------------------------------------------------------------
// The server under test.

let server = null; // the child process, when we started it
let serverLog = ''; // the tail of its standard error, shown if it dies
let serverExit = null;
let serverUp = false; // set once it answered, so a later exit is a crash

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`${path.relative(ROOT, SERVER_BIN)} is missing: build it first with \`cargo build --release\``);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Feedback posted by the tests goes to a folder of their own.
  const data = mkdtempSync(path.join(os.tmpdir(), 'advice-site-browser-'));
  server = spawn(SERVER_BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`], {
    cwd: ROOT, // site.toml, content/ and static/ are found relative to the repo root
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (d) => { serverLog = (serverLog + d).slice(-8000); });
  server.on('exit', (code, signal) => { serverExit = { code, signal }; });

  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (serverExit) throw new Error(`server exited at start-up (${JSON.stringify(serverExit)}):\n${serverLog}`);
    try {
      const res = await get(`${base}/`);
      if (res.status === 200) { serverUp = true; return base; }
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`server did not answer ${base}/ within 15 s:\n${serverLog}`);
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  // The server drains requests for up to 10 s; we have closed ours already.
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

// Last resort: never leave a server behind, whatever way we leave.
process.on('exit', () => { if (server && server.exitCode === null) server.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { console.log(`interrupted by ${sig}`); failed += 1; finish(1); });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.on('error', reject);
  });
}

function decode(res) {
  const enc = (res.headers['content-encoding'] || '').trim();
  if (enc === 'gzip') return zlib.gunzipSync(res.body);
  if (enc === 'br') return zlib.brotliDecompressSync(res.body);
  if (enc === 'deflate') return zlib.inflateSync(res.body);
  return res.body;
}

// ---------------------------------------------------------------------------
// Code run inside the page. Installed per page with page.evaluate (which runs
// through the DevTools protocol, so a Content-Security-Policy cannot block it
// and we never need to weaken the page's real policy).

function installHelpers() {
  const cssPath = (el) => {
    const parts = [];
    while (el && el.nodeType === 1 && el !== document.documentElement) {
      if (el.id) { parts.unshift(`#${CSS.escape(el.id)}`); break; }
      let part = el.localName + [...el.classList].slice(0, 2).map((c) => `.${CSS.escape(c)}`).join('');
      const parent = el.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === el.localName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(el) + 1})`;
      }
      parts.unshift(part);
      el = parent;
    }
    return parts.join(' > ');
  };
  const describe = (el) => {
    if (!el || el === document.body || el === document.documentElement) return '(nothing: the page body)';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    return `${cssPath(el)}${text ? ` "${text.slice(0, 50)}"` : ''}`;
  };
  const alpha = (color) => {
    const m = /\(([^)]*)\)/.exec(color);
    if (!m) return color === 'transparent' ? 0 : 1;
    const parts = m[1].split(/[\s,/]+/).filter(Boolean);
    return parts.length >= 4 ? parseFloat(parts[3]) : 1;
  };
  // Focusable by Tab, by the HTML rules. Chromium may add a few more (such as
  // scrolling boxes); the walk accepts those if they keep DOM order.
  const tabbables = () => [...document.querySelectorAll(
    'a[href], area[href], button, input:not([type=hidden]), select, textarea, iframe, summary, [tabindex], [contenteditable], audio[controls], video[controls]',
  )].filter((el) => el.tabIndex >= 0 && !el.disabled && !el.closest('[inert]')
    && el.checkVisibility({ visibilityProperty: true }));
  const focusStyle = (el) => {
    const s = getComputedStyle(el);
    return {
      outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor,
      boxShadow: s.boxShadow, backgroundColor: s.backgroundColor,
    };
  };
  window.__bt = { cssPath, describe, alpha, tabbables, focusStyle };
}

// ---------------------------------------------------------------------------
// Browser plumbing.

let browser;
const offsiteRequests = []; // "page -> url" for any request not to the server
const fontRequests = [];
const failedSubresources = [];

async function newContext(base, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: VIEWPORT_HEIGHT },
    ...options,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const origin = new URL(base).origin;
  // Watched on every context, so every load in every check counts, including
  // anything a screenshot or the print layout pulls in late.
  context.on('request', (req) => {
    const url = req.url();
    let from = '(no page)';
    try { from = req.frame().url() || '(navigation)'; } catch { /* a worker's request has no frame */ }
    if (/^https?:/.test(url) && new URL(url).origin !== origin) offsiteRequests.push(`${from} -> ${url}`);
    if (req.resourceType() === 'font' || /\.(woff2?|ttf|otf|eot)(\?|$)/i.test(url)) fontRequests.push(`${from} -> ${url}`);
  });
  context.on('response', (res) => {
    const req = res.request();
    // The 404 page's own document is supposed to be a 404; subresources never are.
    if (res.status() >= 400 && !req.isNavigationRequest()) {
      failedSubresources.push(`${req.headers().referer || '(no referrer)'} -> ${res.url()} (${res.status()})`);
    }
  });
  return context;
}

// A screenshot that cannot be taken is a failure, but must not stop the run.
async function screenshot(page, name) {
  try {
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
  } catch (err) {
    await check(`screenshot: ${name}`, () => [err.message]);
  }
}

async function open(context, url, { helpers = true } = {}) {
  const page = await context.newPage();
  const res = await page.goto(url, { waitUntil: 'load' });
  if (helpers) await page.evaluate(installHelpers);
  return { page, res };
}

// ---------------------------------------------------------------------------
// 1. Discovery: every page a reader can reach by following links from "/".

function isPageLink(url, origin) {
  if (url.origin !== origin) return false;
  if (/^\/(static|preview)(\/|$)/.test(url.pathname)) return false;
  if (/\.(xml|txt|ico|png|ics)$/i.test(url.pathname)) return false;
  return true;
}

// The deadline checker's result (passed and to come) and its error state,
// which no link leads to: a reader gets there by submitting a form.
const FORM_PAGES = (() => {
  const soon = new Date(Date.now() - 5 * 86400000);
  const d = `day=${soon.getUTCDate()}&month=${soon.getUTCMonth() + 1}&year=${soon.getUTCFullYear()}`;
  return [
    `/deadlines?letter=decision&${d}`,
    '/deadlines?letter=mr-notice&day=31&month=1&year=2024',
    '/deadlines?letter=decision&day=31&month=2&year=2025',
    '/deadlines?letter=unlawful&day=1&month=2&year=2025',
  ];
})();

async function crawl(base) {
  const origin = new URL(base).origin;
  const context = await newContext(base);
  // Pages only a form reaches: a deadline result and an error state.
  const seeds = ['/', ...FORM_PAGES];
  const seen = new Set(seeds);
  const queue = [...seeds];
  const pages = [];
  while (queue.length > 0) {
    const asked = queue.shift();
    const { page, res } = await open(context, base + asked, { helpers: false });
    // An internal link that redirects costs a reader a round trip; test the
    // page it lands on, once.
    const landed = new URL(page.url());
    const p = landed.pathname + landed.search;
    if (p !== asked) {
      note(`${asked} redirects to ${p}: link to ${p} directly`);
      if (seen.has(p)) { await page.close(); continue; } // crawled or queued already
      seen.add(p);
    }
    const info = await page.evaluate(() => ({
      links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
      isArticle: !!document.querySelector('.article-body'),
    }));
    pages.push({ path: p, status: res.status(), isArticle: info.isArticle, label: labelFor(p) });
    for (const href of info.links) {
      const u = new URL(href);
      if (!isPageLink(u, origin)) continue;
      const key = u.pathname + u.search; // the fragment is the same page
      if (!seen.has(key)) { seen.add(key); queue.push(key); }
    }
    await page.close();
  }
  const { page, res } = await open(context, base + NOT_FOUND_PATH, { helpers: false });
  pages.push({ path: NOT_FOUND_PATH, status: res.status(), isArticle: false, label: 'not-found', expectStatus: 404 });
  await page.close();
  await context.close();
  return pages;
}

function labelFor(p) {
  if (p === '/') return 'home';
  return p.replace(/^\//, '').replace(/[^a-zA-Z0-9-]+/g, '_');
}

// ---------------------------------------------------------------------------
// 2. axe-core.

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function runAxe(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    const firstMessage = (n) => [...n.any, ...n.all, ...n.none].map((c) => c.message).find(Boolean) || '';
    return {
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), message: firstMessage(n) })),
      })),
      incomplete: r.incomplete.map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(' ')) })),
    };
  }, AXE_TAGS);
}

function axeProblems(result) {
  return result.violations.map((v) => [
    `${v.id} (${v.impact}): ${v.help}  <${v.helpUrl}>`,
    ...v.nodes.map((n) => `  ${n.target}${n.message ? `\n    ${n.message}` : ''}`),
  ].join('\n'));
}

// ---------------------------------------------------------------------------
// 3. Layout: no sideways scrolling, no clipped text.

function layoutProblems() {
  const { cssPath } = window.__bt;
  const vw = window.innerWidth;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > vw) problems.push(`page scrolls sideways: ${doc.scrollWidth}px of content in a ${vw}px viewport`);

  const clipsX = (el) => getComputedStyle(el).overflowX !== 'visible';
  const insideClipper = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) if (clipsX(a)) return true;
    return false;
  };
  const sticksOut = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    return (r.right > vw + 1 || r.left < -1) && !insideClipper(el);
  };
  const all = [...document.body.querySelectorAll('*')];
  // Name the culprit, not every box around it: the outermost box that sticks
  // out of the viewport, and, for overflow no box explains (a long word or
  // URL running out of its paragraph), the innermost box whose content is
  // wider than it.
  const stickers = all.filter((el) => sticksOut(el) && !(el.parentElement && sticksOut(el.parentElement)));
  for (const el of stickers) {
    const r = el.getBoundingClientRect();
    problems.push(`sticks out of the viewport: ${cssPath(el)} (left ${Math.round(r.left)}px, right ${Math.round(r.right)}px, viewport ${vw}px)`);
  }
  const tooWide = all.filter((el) => !clipsX(el) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
    && !insideClipper(el) && !stickers.some((s) => el.contains(s)));
  for (const el of tooWide) {
    if (tooWide.some((other) => other !== el && el.contains(other))) continue;
    problems.push(`content wider than its box: ${cssPath(el)} (${el.scrollWidth}px of content in ${el.clientWidth}px)`);
  }
  for (const el of all) {
    // Text cut off by overflow: hidden/clip. Boxes of 1px are the deliberate
    // visually-hidden pattern; scrolling boxes (auto/scroll) are not clipping.
    const s = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflowY);
    if (clips && el.clientWidth > 1 && el.clientHeight > 1 && (el.innerText || '').trim()
      && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      problems.push(`text clipped: ${cssPath(el)} (content ${el.scrollWidth}x${el.scrollHeight}px in a ${el.clientWidth}x${el.clientHeight}px box)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// 4. Keyboard.

async function skipLinkProblems(page) {
  const problems = [];
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    return {
      isSkip: el.matches('a.skip-link'), what: window.__bt.describe(el),
      rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height },
      vw: window.innerWidth, vh: window.innerHeight,
      visible: el.checkVisibility({ visibilityProperty: true, opacityProperty: true }),
    };
  });
  if (!first.isSkip) return [`first Tab focused ${first.what}, not a.skip-link`];
  const r = first.rect;
  if (!(r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= first.vw && r.bottom <= first.vh && first.visible)) {
    problems.push(`focused skip link is not visible in the viewport: box ${JSON.stringify(r)}, viewport ${first.vw}x${first.vh}`);
  }
  await page.keyboard.press('Enter');
  try {
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main', null, { timeout: 2000 });
  } catch {
    const now = await page.evaluate(() => window.__bt.describe(document.activeElement));
    problems.push(`Enter on the skip link left focus on ${now}, not #main`);
  }
  return problems;
}

// Tab from the top of a fresh page until focus leaves the document, checking
// each stop. Unfocused styles are taken first, so "background changed" means
// changed by focus, not just "has a background".
async function focusWalkProblems(page) {
  await page.evaluate(() => {
    const bt = window.__bt;
    bt.expected = bt.tabbables();
    bt.before = new Map(bt.expected.map((el) => [el, bt.focusStyle(el)]));
    bt.seen = [];
  });
  const limit = (await page.evaluate(() => window.__bt.expected.length)) + 20;
  const problems = [];
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const step = await page.evaluate(() => {
      const bt = window.__bt;
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return { done: true };
      if (bt.seen.includes(el)) return { done: true, wrapped: true };
      const prev = bt.seen[bt.seen.length - 1];
      bt.seen.push(el);
      // A stop we did not expect (Chromium makes some scrolling boxes
      // focusable) has no unfocused style on record, so only an outline counts.
      const before = bt.before.get(el) || bt.focusStyle(el);
      const now = bt.focusStyle(el);
      const shows = [];
      if (now.outlineStyle === 'auto') shows.push('outline:auto');
      // A transparent outline is only a fallback for forced-colours mode.
      else if (now.outlineStyle !== 'none' && parseFloat(now.outlineWidth) > 0 && bt.alpha(now.outlineColor) > 0) shows.push('outline');
      if (now.boxShadow !== 'none' && now.boxShadow !== before.boxShadow) shows.push('box-shadow');
      if (now.backgroundColor !== before.backgroundColor) shows.push('background');
      const r = el.getBoundingClientRect();
      // Something drawn on top of the focused element (a sticky bar, a
      // banner) hides it as surely as no indicator at all.
      const box = el.getClientRects()[0] || r;
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return {
        what: bt.describe(el),
        coveredBy: hit && !el.contains(hit) && !hit.contains(el) ? bt.describe(hit) : '',
        shows,
        outOfOrder: !!prev && !(prev.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
        prevWhat: prev ? bt.describe(prev) : '',
        offscreen: r.bottom <= 0 || r.top >= window.innerHeight || r.right <= 0 || r.left >= window.innerWidth,
        zeroSize: r.width === 0 || r.height === 0,
      };
    });
    if (step.done) break;
    if (step.shows.length === 0) problems.push(`no visible focus indicator: ${step.what}`);
    if (step.outOfOrder) problems.push(`focus order goes against the DOM: ${step.prevWhat}  then  ${step.what}`);
    if (step.offscreen || step.zeroSize) problems.push(`focused element is not on screen: ${step.what}`);
    else if (step.coveredBy) problems.push(`focused element is covered by ${step.coveredBy}: ${step.what}`);
    if (i === limit - 1) problems.push(`focus did not leave the page after ${limit} Tabs (a keyboard trap?)`);
  }
  note(`${await page.evaluate(() => window.__bt.seen.length)} Tab stops`);
  // A group of radio buttons is one Tab stop (arrow keys move within it),
  // so one of its buttons reached counts for all.
  const missed = await page.evaluate(() => {
    const { seen } = window.__bt;
    const sameGroup = (a, b) => a.type === 'radio' && b.type === 'radio' && a.name === b.name && a.form === b.form;
    return window.__bt.expected
      .filter((el) => !seen.includes(el) && !seen.some((s) => sameGroup(s, el)))
      .map((el) => window.__bt.describe(el));
  });
  for (const m of missed) problems.push(`never reached by Tab: ${m}`);
  return problems;
}

// ---------------------------------------------------------------------------
// 5. The checks, in order.

async function main() {
  const args = process.argv.slice(2);
  const urlFlag = args.indexOf('--url');
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  if (urlFlag >= 0 && !/^https?:\/\//.test(args[urlFlag + 1] || '')) throw new Error('--url needs an address, e.g. --url http://127.0.0.1:3000');
  const base = urlFlag >= 0 ? args[urlFlag + 1].replace(/\/$/, '') : await startServer();

  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const started = Date.now();
  console.log(`browser tests: ${base} in Chromium ${browser.version()}, axe-core ${require('axe-core/package.json').version}`);

  const pages = await crawl(base);
  console.log(`pages: ${pages.map((p) => p.path).join(' ')}`);
  const articles = pages.filter((p) => p.isArticle);
  const shotPages = pages.filter((p) => p.path === '/' || p.isArticle);

  await check('discovery: home links to at least one article, every page answers as it should', () => {
    const problems = [];
    if (articles.length === 0) problems.push('no article pages found by following links from /');
    for (const p of pages) {
      const want = p.expectStatus || 200;
      if (p.status !== want) problems.push(`${p.path} answered ${p.status}, expected ${want}`);
    }
    return problems;
  });

  // Axe and the 320px layout checks below run on every crawled page; make
  // sure the topics and the glossary are among them.
  await check('discovery: the crawl reaches /topics, a topic page and /glossary', () => {
    const paths = pages.map((p) => p.path);
    const problems = [];
    for (const want of ['/topics', '/glossary']) {
      if (!paths.includes(want)) problems.push(`${want} is not linked from any page`);
    }
    if (!paths.some((p) => p.startsWith('/topics/'))) problems.push('no topic page is linked from /topics or an article');
    return problems;
  });

  await check('glossary: following a term link in an article lands on its definition, visible and marked', async () => {
    const context = await newContext(base, { viewport: { width: 375, height: VIEWPORT_HEIGHT } });
    const problems = [];
    let followed = false;
    for (const p of articles) {
      const { page } = await open(context, base + p.path);
      const href = await page.evaluate(() => document.querySelector('.article-body a.term')?.getAttribute('href'));
      if (!href) { await page.close(); continue; }
      followed = true;
      await page.click('.article-body a.term');
      await page.waitForURL((u) => u.pathname === '/glossary' && u.hash !== '', { timeout: 5000 }).catch(() => {});
      const landed = new URL(page.url());
      if (landed.pathname + landed.hash !== href) problems.push(`${p.path}: clicking ${href} landed on ${landed.pathname}${landed.hash}`);
      problems.push(...(await page.evaluate(() => {
        const out = [];
        const dfn = document.querySelector('dfn:target');
        if (!dfn) return [`no <dfn> is the :target of ${location.hash}`];
        const r = dfn.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) out.push(`the definition is off screen (top ${Math.round(r.top)}px)`);
        if (!dfn.checkVisibility({ visibilityProperty: true, opacityProperty: true })) out.push('the definition is hidden');
        const entry = dfn.closest('.glossary-entry');
        const other = [...document.querySelectorAll('.glossary-entry')].find((e) => e !== entry);
        const bg = (e) => getComputedStyle(e).backgroundColor;
        if (!entry || !other || bg(entry) === bg(other)) out.push('the entry is not marked as the one linked to');
        return out;
      })).map((x) => `${href}: ${x}`));
      await page.close();
      break;
    }
    await context.close();
    if (!followed) problems.push('no article links a glossary term, so nothing was checked');
    return problems;
  });

  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const view of VIEWS) {
    const { width, scheme } = view;
    const context = await newContext(base, { viewport: { width, height: VIEWPORT_HEIGHT }, colorScheme: scheme });
    for (const p of pages) {
      let page;
      try {
        ({ page } = await open(context, base + p.path));
      } catch (err) {
        await check(`load: ${p.label} at ${width}px, ${scheme}`, () => [err.message]);
        continue;
      }
      if (view.axe) {
        await check(`axe: ${p.label} at ${width}px, ${scheme}`, async () => {
          // Prove the scheme took, or the dark run would pass vacuously.
          const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
          if (dark !== (scheme === 'dark')) return [`the page does not see prefers-color-scheme: ${scheme}`];
          const result = await runAxe(page);
          for (const inc of result.incomplete.filter((x) => x.id === 'color-contrast')) {
            note(`axe could not judge colour contrast of ${inc.targets.length} element(s), look by eye: ${inc.targets.slice(0, 4).join(', ')}`);
          }
          return axeProblems(result);
        });
      }
      if (view.layout) {
        await check(`layout: ${p.label} fits ${width}px without sideways scrolling`, () => page.evaluate(layoutProblems));
      }
      if (view.screenshot && shotPages.includes(p)) {
        await screenshot(page, `${p.label}-${width}-${scheme}.png`);
      }
      await page.close();
    }
    await context.close();
  }

  // 200% text at 320px. The stylesheet sizes everything in rem, so the honest
  // emulation is the browser's own font-size preference (what Chrome's
  // "Font size" setting changes), set through the DevTools protocol. CSS zoom
  // or a scaled viewport would enlarge boxes too, which is page zoom, and page
  // zoom at 320px is already what the 320px layout check above covers.
  {
    const context = await newContext(base, { viewport: { width: 320, height: VIEWPORT_HEIGHT } });
    for (const p of pages) {
      await check(`layout: ${p.label} at 320px with 200% text: no sideways scrolling, no clipped text`, async () => {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 26 } });
        await page.goto(base + p.path, { waitUntil: 'load' });
        await page.evaluate(installHelpers);
        // Prove the emulation took, or this check would pass vacuously.
        const rootSize = await page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
        const problems = rootSize === '32px' ? [] : [`text zoom did not apply: root font-size is ${rootSize}, expected 32px`];
        problems.push(...await page.evaluate(layoutProblems));
        if (shotPages.includes(p)) await screenshot(page, `${p.label}-320-text200.png`);
        await page.close();
        return problems;
      });
    }
    await context.close();
  }

  // Keyboard, at desktop width where keyboard users are.
  {
    const context = await newContext(base);
    for (const p of pages) {
      await check(`keyboard: ${p.label}: first Tab shows the skip link, Enter moves focus to #main`, async () => {
        const { page } = await open(context, base + p.path);
        const problems = await skipLinkProblems(page);
        await page.close();
        return problems;
      });
      await check(`keyboard: ${p.label}: every Tab stop has a visible focus indicator, in DOM order`, async () => {
        const { page } = await open(context, base + p.path);
        const problems = await focusWalkProblems(page);
        await page.close();
        return problems;
      });
    }
    await context.close();
  }

  // Quick exit. The exit link leaves for another site, so these checks use a
  // context of their own that answers for that site locally: no request
  // leaves the machine, and the off-site request watch above stays meaningful.
  {
    const phone = await newContext(base, { viewport: { width: 375, height: 667 } });
    for (const p of pages) {
      await check(`quick exit: ${p.label}: the second Tab stop is "Exit this page", on screen at 375px`, async () => {
        const { page } = await open(phone, base + p.path);
        await page.keyboard.press('Tab');
        await page.keyboard.press('Tab');
        const got = await page.evaluate(() => {
          const el = document.activeElement;
          const r = el.getBoundingClientRect();
          return {
            isExit: el.matches('a.exit-link'), what: window.__bt.describe(el),
            rel: el.getAttribute('rel'), href: el.href,
            onScreen: r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth,
            scrolled: window.scrollY,
          };
        });
        await page.close();
        if (!got.isExit) return [`second Tab focused ${got.what}, not a.exit-link`];
        const problems = [];
        if (got.rel !== 'noreferrer') problems.push(`exit link has rel="${got.rel}", not "noreferrer"`);
        if (!/^https:\/\//.test(got.href) || new URL(got.href).origin === new URL(base).origin) problems.push(`exit link goes to ${got.href}, not another site`);
        if (!got.onScreen || got.scrolled !== 0) problems.push('exit link is not visible without scrolling');
        return problems;
      });
    }
    await phone.close();

    const exitContext = async (options = {}) => {
      const context = await browser.newContext({ viewport: { width: 375, height: 667 }, ...options });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      await context.route((url) => url.origin !== new URL(base).origin, (route) => route.fulfill({
        status: 200, contentType: 'text/html', body: '<!doctype html><title>Weather</title><p>Elsewhere</p>',
      }));
      return context;
    };
    const article = articles[0] ? articles[0].path : '/';
    await check('quick exit: pressing Shift three times leaves and replaces the page in history', async () => {
      const context = await exitContext();
      const page = await context.newPage();
      await page.goto(base + '/', { waitUntil: 'load' });
      await page.goto(base + article, { waitUntil: 'load' });
      const exitHref = await page.evaluate(() => document.querySelector('a.exit-link').href);
      for (let i = 0; i < 3; i += 1) await page.keyboard.press('Shift');
      const problems = [];
      try {
        await page.waitForURL((u) => u.href === exitHref, { timeout: 5000 });
      } catch {
        problems.push(`after three Shifts the page is still ${page.url()}`);
      }
      if (problems.length === 0) {
        await page.goBack({ waitUntil: 'load' });
        const back = new URL(page.url()).pathname;
        if (back === article) problems.push('Back returns to the page the reader left: it was not replaced in history');
      }
      await context.close();
      return problems;
    });
    await check('quick exit: Shift used for capital letters does not leave', async () => {
      const context = await exitContext();
      const page = await context.newPage();
      await page.goto(base + article, { waitUntil: 'load' });
      for (const key of ['Shift+A', 'Shift+B', 'Shift+C']) await page.keyboard.press(key);
      await sleep(300);
      const still = new URL(page.url()).pathname;
      await context.close();
      return still === article ? [] : [`typing capitals left the page for ${still}`];
    });
    await check('quick exit: the link leaves without JavaScript', async () => {
      const context = await exitContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(base + article, { waitUntil: 'load' });
      const exitHref = await page.evaluate(() => document.querySelector('a.exit-link').href);
      await page.click('a.exit-link');
      const problems = [];
      try {
        await page.waitForURL((u) => u.href === exitHref, { timeout: 5000 });
      } catch {
        problems.push(`clicking the exit link left the page at ${page.url()}`);
      }
      await context.close();
      return problems;
    });
    await check('layout: an article with the Scotland banner and the "Part of" box fits 320px', async () => {
      const context = await newContext(base, { viewport: { width: 320, height: VIEWPORT_HEIGHT } });
      const problems = [];
      let found = false;
      for (const p of articles) {
        const { page } = await open(context, base + p.path);
        const has = await page.evaluate(() => !!document.querySelector('.nation-banner') && !!document.querySelector('.part-of'));
        if (has) {
          found = true;
          problems.push(...(await page.evaluate(layoutProblems)).map((x) => `${p.path}: ${x}`));
        }
        await page.close();
      }
      await context.close();
      if (!found) problems.push('no article shows both the banner and the box, so nothing was checked');
      return problems;
    });
  }

  // Without JavaScript the article must read the same.
  {
    const withJs = await newContext(base, { viewport: { width: 375, height: VIEWPORT_HEIGHT } });
    const noJs = await newContext(base, { viewport: { width: 375, height: VIEWPORT_HEIGHT }, javaScriptEnabled: false });
    for (const p of articles) {
      await check(`no JavaScript: ${p.label}: the article text is all there and visible`, async () => {
        const a = await open(withJs, base + p.path);
        const b = await open(noJs, base + p.path);
        const bodyText = () => {
          const body = document.querySelector('.article-body');
          return body ? body.innerText.trim() : '';
        };
        const textWith = await a.page.evaluate(bodyText);
        const problems = await b.page.evaluate(() => {
          const out = [];
          const h1 = document.querySelector('h1');
          if (!h1 || !h1.checkVisibility({ visibilityProperty: true, opacityProperty: true })) out.push('the h1 is not visible');
          const body = document.querySelector('.article-body');
          if (!body) return [...out, 'no .article-body'];
          if (body.innerText.trim().length < 200) out.push(`.article-body shows only ${body.innerText.trim().length} characters`);
          for (const el of body.querySelectorAll('p, li, h2, h3, th, td, blockquote')) {
            if (el.closest('.visually-hidden')) continue;
            const r = el.getBoundingClientRect();
            const onPage = r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth + 1;
            if (!onPage || !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) {
              out.push(`not visible: ${window.__bt.describe(el)}`);
            }
          }
          return out;
        });
        const textWithout = await b.page.evaluate(bodyText);
        if (textWithout !== textWith) problems.push('the article text differs with and without JavaScript');
        await a.page.close();
        await b.page.close();
        return problems;
      });
    }
    await withJs.close();
    await noJs.close();
  }

  // Search: the header box on every page, and the results page. The search
  // pages are checked here rather than seeded into the crawl, because their
  // suggestions link /topics and /glossary, which another branch adds.
  {
    const SEARCH_PAGES = ['/search', '/search?q=appeal', '/search?q=xylophone'];
    for (const width of [320, 1280]) {
      const context = await newContext(base, { viewport: { width, height: VIEWPORT_HEIGHT } });
      await check(`search: at ${width}px, typing in the header box and pressing Enter lands on results`, async () => {
        const { page } = await open(context, base + '/');
        const problems = await page.evaluate(() => {
          const out = [];
          const box = document.querySelector('.site-header input[name=q]');
          const button = document.querySelector('.site-header form[action="/search"] button');
          if (!box || !button) return ['no search box and button in the header'];
          const label = box.labels && box.labels[0];
          if (!label || !label.checkVisibility()) out.push('the box has no visible label');
          const right = document.documentElement.clientWidth + 1;
          for (const [name, el] of [['box', box], ['button', button]]) {
            const r = el.getBoundingClientRect();
            if (r.left < 0 || r.right > right) out.push(`the ${name} runs off the page`);
            if (r.height < 24) out.push(`the ${name} is ${r.height}px tall: too small to tap`);
          }
          if (box.getBoundingClientRect().width < 120) out.push(`the box is only ${box.getBoundingClientRect().width}px wide`);
          return out;
        });
        await page.focus('.site-header input[name=q]');
        await page.keyboard.type('appealing');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        await page.evaluate(installHelpers);
        const landed = new URL(page.url());
        if (landed.pathname !== '/search' || landed.searchParams.get('q') !== 'appealing') {
          problems.push(`Enter went to ${landed.pathname}${landed.search}`);
        }
        const results = await page.evaluate(() => document.querySelectorAll('.search-results a[href]').length);
        if (results === 0) problems.push('no results for "appealing"');
        const marks = await page.evaluate(() => document.querySelectorAll('.search-results mark').length);
        if (marks === 0) problems.push('no match is marked');
        problems.push(...await page.evaluate(layoutProblems));
        if (width === 320) await screenshot(page, 'search-results-320-light.png');
        await page.close();
        return problems;
      });
      await context.close();
    }
    for (const scheme of ['light', 'dark']) {
      const context = await newContext(base, { viewport: { width: 375, height: VIEWPORT_HEIGHT }, colorScheme: scheme });
      for (const p of SEARCH_PAGES) {
        await check(`search: ${p} passes axe at 375px, ${scheme}, and fits 320px`, async () => {
          const { page } = await open(context, base + p);
          const problems = axeProblems(await runAxe(page));
          await page.setViewportSize({ width: 320, height: VIEWPORT_HEIGHT });
          problems.push(...await page.evaluate(layoutProblems));
          await page.close();
          return problems;
        });
      }
      await context.close();
    }
  }

  // Letters: each form's error state, and the letter it writes.
  {
    const letterPages = pages.filter((p) => /^\/letters\/[a-z0-9-]+$/.test(p.path));
    await check('letters: the crawl found the letter forms', () => (letterPages.length >= 3 ? [] : [`only ${letterPages.length} letter forms found`]));
    const context = await newContext(base, { viewport: { width: 320, height: VIEWPORT_HEIGHT } });
    const submit = async (page) => {
      await Promise.all([page.waitForNavigation(), page.click('form.letter-form button[type=submit]')]);
      await page.evaluate(installHelpers);
    };
    for (const p of letterPages) {
      await check(`letters: ${p.label}: an empty form comes back with the error summary, axe and 320px pass`, async () => {
        const { page } = await open(context, base + p.path);
        await submit(page);
        const problems = await page.evaluate(() => {
          const summary = document.querySelector('.error-summary');
          if (!summary) return ['no error summary'];
          return [...summary.querySelectorAll('a')]
            .filter((a) => !document.getElementById(decodeURIComponent(a.hash.slice(1))))
            .map((a) => `the summary links to a missing ${a.hash}`);
        });
        problems.push(...axeProblems(await runAxe(page)));
        problems.push(...await page.evaluate(layoutProblems));
        await page.close();
        return problems;
      });
      await check(`letters: ${p.label}: the letter passes axe at 320px and prints alone`, async () => {
        const { page } = await open(context, base + p.path);
        await page.evaluate(() => {
          for (const group of document.querySelectorAll('.letter-form .form-group')) {
            const label = group.querySelector('.label');
            if (label && label.textContent.includes('(optional)')) continue;
            const date = group.querySelectorAll('.date-input input');
            if (date.length === 3) { date[0].value = '3'; date[1].value = '4'; date[2].value = '2025'; continue; }
            const choice = group.querySelector('input[type=radio], input[type=checkbox]');
            if (choice) { choice.checked = true; continue; }
            const text = group.querySelector('input[type=text], textarea');
            if (text) text.value = 'A test answer';
          }
        });
        await submit(page);
        const problems = [];
        if (!(await page.$('.letter'))) return ['no letter after a complete form'];
        problems.push(...axeProblems(await runAxe(page)));
        problems.push(...await page.evaluate(layoutProblems));
        await page.emulateMedia({ media: 'print' });
        problems.push(...await page.evaluate(() => {
          const out = [];
          for (const selector of ['.site-header', '.site-footer', '.letter-tools']) {
            for (const el of document.querySelectorAll(selector)) {
              if (getComputedStyle(el).display !== 'none') out.push(`${selector} prints`);
            }
          }
          const letter = document.querySelector('.letter');
          if (!letter || getComputedStyle(letter).display === 'none') out.push('the letter does not print');
          return out;
        }));
        await page.close();
        return problems;
      });
    }
    await context.close();
  }

  // "Is this page useful?": answered without JavaScript, the page comes
  // back at #feedback-no with the question shown, then at #feedback-thanks.
  // axe needs script, so each state is checked again from its address alone
  // (the fragment is all the state there is).
  if (articles.length > 0) {
    const p = articles[0];
    for (const scheme of ['light', 'dark']) {
      const viewport = { width: 375, height: VIEWPORT_HEIGHT };
      const noJs = await newContext(base, { viewport, colorScheme: scheme, javaScriptEnabled: false });
      const withJs = await newContext(base, { viewport, colorScheme: scheme });
      await check(`feedback: ${p.label}: No, then a comment, without JavaScript (${scheme}); axe at each step`, async () => {
        const problems = [];
        const page = await noJs.newPage();
        await page.goto(base + p.path, { waitUntil: 'load' });
        const visible = (sel) => page.locator(sel).first().isVisible();
        if (await visible('#feedback-no')) problems.push('the follow-up question shows before any answer');
        await Promise.all([page.waitForURL(/#feedback-no$/), page.locator('.feedback-ask button[value=no]').click()]);
        if (!await visible('#feedback-no textarea')) problems.push('after No, "What is wrong with this page?" is not shown');
        if (await visible('.feedback-ask')) problems.push('after No, Yes/No is still offered');
        if (!await visible('#feedback-no .feedback-done')) problems.push('after No, no thank-you is shown');
        if (scheme === 'light') await screenshot(page, `feedback-no-375-${scheme}.png`);
        await page.locator('#feedback-no textarea').fill('A test comment from the browser suite.');
        await Promise.all([page.waitForURL(/#feedback-thanks$/), page.locator('#feedback-no button[type=submit]').click()]);
        if (!await visible('#feedback-thanks')) problems.push('after sending, no thank-you is shown');
        if (await visible('#feedback-no textarea')) problems.push('after sending, the question is still shown');
        if (scheme === 'light') await screenshot(page, `feedback-thanks-375-${scheme}.png`);
        await page.close();
        for (const state of ['#feedback-no', '#feedback-thanks']) {
          const { page: shown } = await open(withJs, base + p.path + state);
          problems.push(...axeProblems(await runAxe(shown)).map((x) => `at ${state}: ${x}`));
          await shown.close();
        }
        return problems;
      });
      if (scheme === 'light') {
        await check(`feedback: ${p.label}: with JavaScript, Yes and a comment are sent without leaving the page`, async () => {
          const problems = [];
          const page = await withJs.newPage();
          await page.goto(base + p.path, { waitUntil: 'load' });
          await page.evaluate(() => { window.__stayed = true; });
          await Promise.all([page.waitForURL(/#feedback-yes$/), page.locator('.feedback-ask button[value=yes]').click()]);
          if (!await page.locator('#feedback-yes textarea').isVisible()) problems.push('after Yes, "What were you looking for?" is not shown');
          const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
          if (focused !== 'feedback-text-yes') problems.push(`after Yes, focus is on #${focused}, not the question`);
          await page.locator('#feedback-yes textarea').fill('Sent by the browser suite with script.');
          await Promise.all([page.waitForURL(/#feedback-thanks$/), page.locator('#feedback-yes button[type=submit]').click()]);
          if (!await page.locator('#feedback-thanks').isVisible()) problems.push('after sending, no thank-you is shown');
          if (!await page.evaluate(() => window.__stayed === true)) problems.push('the page reloaded: the script did not send the answer itself');
          await page.close();
          return problems;
        });
      }
      await noJs.close();
      await withJs.close();
    }
  }

  // Print.
  {
    const context = await newContext(base);
    for (const p of pages) {
      await check(`print: ${p.label}: site chrome hidden${p.isArticle ? ', external links show their address' : ''}`, async () => {
        const page = await context.newPage();
        await page.emulateMedia({ media: 'print' });
        await page.goto(base + p.path, { waitUntil: 'load' });
        await page.evaluate(installHelpers);
        const problems = await page.evaluate(({ hidden, isArticle }) => {
          if (!matchMedia('print').matches) return ['the page does not see media print'];
          const out = [];
          for (const { selector, where } of hidden) {
            if (where === 'article' && !isArticle) continue;
            const els = document.querySelectorAll(selector);
            if (els.length === 0) out.push(`${selector} not found on the page (so the check cannot see it hidden)`);
            for (const el of els) {
              const display = getComputedStyle(el).display;
              if (display !== 'none') out.push(`${window.__bt.cssPath(el)} prints (display: ${display}); should be display: none`);
            }
          }
          if (isArticle) {
            const external = [...document.querySelectorAll('.article-body a[href]')]
              .filter((a) => /^https?:$/.test(a.protocol) && a.origin !== location.origin);
            for (const a of external) {
              const content = getComputedStyle(a, '::after').content;
              // A bare URL already shows its address as its text; printing it
              // again would only double it.
              const showsItself = a.textContent.trim() === a.href || a.textContent.trim() === a.getAttribute('href');
              if (showsItself) {
                if (content.includes('http')) out.push(`bare URL prints its address twice: ${window.__bt.describe(a)}`);
                continue;
              }
              if (!content.includes('http')) out.push(`external link prints without its address: ${window.__bt.describe(a)} (::after content: ${content})`);
            }
            out.push({ externalLinks: external.length });
          }
          return out;
        }, { hidden: PRINT_HIDDEN, isArticle: p.isArticle });
        await page.close();
        const count = problems.find((x) => typeof x === 'object');
        if (count) note(`${count.externalLinks} external links checked`);
        return problems.filter((x) => typeof x === 'string');
      });
    }
    await context.close();
  }

  // Page weight: measured on the bytes, not taken from the server's headers.
  {
    let longest = null;
    for (const p of articles) {
      const res = await get(base + p.path, { 'accept-encoding': 'gzip' });
      const html = decode(res);
      if (!longest || html.length > longest.html.length) longest = { p, res, html };
    }
    if (longest) {
      await check(`weight: longest article (${longest.p.label}) gzips to under ${HTML_GZIP_BUDGET} bytes`, () => {
        const gz = zlib.gzipSync(longest.html, { level: 9 }).length;
        note(`${longest.p.path}: ${longest.html.length} bytes of HTML, ${gz} gzipped; the server sent ${longest.res.body.length} bytes (content-encoding: ${longest.res.headers['content-encoding'] || 'none'})`);
        return gz < HTML_GZIP_BUDGET ? [] : [`${gz} bytes gzipped (budget ${HTML_GZIP_BUDGET})`];
      });
    }
    await check(`weight: stylesheets gzip to under ${CSS_GZIP_BUDGET} bytes`, async () => {
      const probe = await newContext(base);
      const { page } = await open(probe, base + '/', { helpers: false });
      const hrefs = await page.evaluate(() => [...document.querySelectorAll('link[rel~=stylesheet]')].map((l) => l.href));
      await probe.close();
      if (hrefs.length === 0) return ['home page links no stylesheet'];
      let total = 0;
      for (const href of hrefs) {
        const res = await get(href, { 'accept-encoding': 'gzip' });
        const css = decode(res);
        const gz = zlib.gzipSync(css, { level: 9 }).length;
        note(`${new URL(href).pathname}: ${css.length} bytes, ${gz} gzipped; the server sent ${res.body.length} bytes (content-encoding: ${res.headers['content-encoding'] || 'none'})`);
        total += gz;
      }
      return total < CSS_GZIP_BUDGET ? [] : [`${total} bytes gzipped (budget ${CSS_GZIP_BUDGET})`];
    });
  }

  // These were collected from every load above.
  await check('requests: nothing is fetched from any other origin', () => [...new Set(offsiteRequests)]);
  await check('requests: no font files', () => [...new Set(fontRequests)]);
  await check('requests: every stylesheet, script and image loads', () => [...new Set(failedSubresources)]);

  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s in the browser`);
}

const watchdog = setTimeout(async () => {
  console.log(`gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  failed += 1;
  await stopServer();
  finish(1);
}, TOTAL_TIMEOUT_MS);

let code;
try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`FAIL setup\n${indent(err && err.message ? err.message : err, '     ')}`);
  code = 1;
} finally {
  if (serverUp && serverExit) {
    failed += 1;
    console.log(`FAIL the server stopped during the tests (${JSON.stringify(serverExit)}); its last words:\n${indent(serverLog, '     ')}`);
  }
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => {});
  await stopServer();
}
finish(code);
