import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Where the tests save each page's screenshot: a git-ignored folder, so a test run leaves the
 * tree as it was; STOREFRONT_SCREENSHOTS_DIR (relative to the repository root) names another,
 * e.g. docs/images/storefront to refresh the README's images.
 */
export function screenshotsDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.STOREFRONT_SCREENSHOTS_DIR?.trim();
  return resolve(REPO_ROOT, chosen || 'services/storefront/test-results/screenshots');
}

/**
 * Saves a full-page screenshot as `<dir>/<name>.png` and fails unless that file is a fresh,
 * non-empty PNG (an older file of the same name is removed first, so it cannot pass for it).
 */
export async function saveScreenshot(page: Page, dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.png`);
  mkdirSync(dir, { recursive: true });
  rmSync(path, { force: true });
  await page.screenshot({ path, fullPage: true });
  const written = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  if (written.length <= PNG_SIGNATURE.length || !written.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new Error(`the screenshot ${path} was not written as a PNG (${written.length} bytes)`);
  }
  return path;
}

/**
 * Debian's Chromium (apt package `chromium`; scripts/browser.sh installs it in CI). Playwright's
 * own browser downloads are not used: `playwright-core` only drives a browser it is given.
 */
export const CHROMIUM = process.env.MESH_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run scripts/browser.sh (apt-get install chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start. The rest keeps the
    // browser from calling home during a test.
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Inputs, selects and text areas without a label a screen reader would announce. */
export function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((field) => {
        const labelled = (field as HTMLInputElement).labels?.length ?? 0;
        return (
          labelled === 0 &&
          !field.getAttribute('aria-label') &&
          !field.getAttribute('aria-labelledby')
        );
      })
      .map((field) => field.outerHTML),
  );
}

/**
 * Presses Tab until the focused element matches `selector`, as a keyboard user would reach it;
 * fails when it is not reachable within `maxPresses`.
 */
export async function tabTo(page: Page, selector: string, maxPresses = 40): Promise<void> {
  for (let press = 0; press < maxPresses; press += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${selector} cannot be reached with the Tab key`);
}
