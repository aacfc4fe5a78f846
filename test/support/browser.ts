/**
 * A real headless Chromium for the console's browser tests and benchmark: Debian's `chromium`
 * (/usr/bin/chromium, installed by scripts/setup.sh), driven by playwright-core, which never
 * downloads a browser of its own. One browser per test file (launching takes about a second),
 * closed at the end; each page is watched for console errors, uncaught exceptions and
 * Content-Security-Policy violations, so a test can assert that a page rendered cleanly.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian's package puts the browser (a launcher script that execs /usr/lib/chromium/chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots are kept as test artefacts (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../.artifacts/console/', import.meta.url));

/** Launch headless Chromium; a missing binary is an error naming the package to install. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} missing: install Debian's chromium (apt-get install -y chromium, or bash scripts/setup.sh); playwright-core never downloads a browser`);
  }
  // playwright-core starts Chromium without its sandbox by default (chromiumSandbox: false), which
  // root needs; /dev/shm is small in containers, so shared memory goes to /tmp.
  return chromium.launch({ executablePath, headless: true, timeout: 30_000, args: ['--disable-dev-shm-usage'] });
}

/** Something a page did that a clean console page never does. */
export interface PageProblem {
  readonly kind: 'console' | 'pageerror' | 'csp' | 'http';
  readonly url: string;
  readonly text: string;
}

/** A page with the problems seen since it opened (or since `problems.length = 0`). */
export interface WatchedPage {
  readonly page: Page;
  readonly problems: PageProblem[];
}

/**
 * A new page in `context` whose console errors, uncaught exceptions and CSP violations are
 * collected, and every answer of 400 or more (with its URL). CSP violations are reported through a binding (CDP, not a script tag), so the
 * page's own CSP cannot stop the reporting.
 */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const problems: PageProblem[] = [];
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push({ kind: 'console', url: page.url(), text: m.text() });
  });
  // The console line of a failed load does not name the URL; this does.
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push({ kind: 'http', url: r.url(), text: `${r.request().method()} answered ${r.status()}` });
  });
  page.on('pageerror', (err) => problems.push({ kind: 'pageerror', url: page.url(), text: String(err) }));
  await page.exposeBinding('__vigiaCspViolation', (_source, text: string) => {
    problems.push({ kind: 'csp', url: page.url(), text });
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (ev) => {
      const report = (window as unknown as { __vigiaCspViolation(text: string): void }).__vigiaCspViolation;
      report(`${ev.violatedDirective} blocked ${ev.blockedURI || 'inline'} ${ev.sample}`.trim());
    });
  });
  return { page, problems };
}

/** Save a full-page screenshot as `<ARTIFACTS_DIR>/<name>.png`; answers the path. */
export async function screenshot(page: Page, name: string, dir = ARTIFACTS_DIR): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true, timeout: 15_000 });
  return path;
}
