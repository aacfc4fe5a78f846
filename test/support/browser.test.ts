import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium } from './browser.js';

test('a missing browser is one clear error naming the package, and nothing is downloaded', async () => {
  await assert.rejects(launchChromium('/nonexistent/chromium'), /\/nonexistent\/chromium missing: install Debian's chromium \(apt-get install -y chromium, or bash scripts\/setup\.sh\)/);
});
