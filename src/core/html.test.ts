import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml } from './html.js';

test('escapeHtml escapes & < > " and \' (every quote style of attribute is safe), and nothing else', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.equal(escapeHtml('plain text, ñ é 数 / = `'), 'plain text, ñ é 数 / = `');
  assert.equal(escapeHtml(42.5), '42.5');
});

test('escapeHtml shows control and format characters as visible escapes (U+202E, ESC, BEL), keeping line ends', () => {
  assert.equal(escapeHtml('<b>/x\u001b]8;;http://evil\u0007y\u202e</b>\n'), '&lt;b&gt;/x\\x1b]8;;http://evil\\x07y\\u202e&lt;/b&gt;\n');
});
