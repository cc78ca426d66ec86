import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

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
