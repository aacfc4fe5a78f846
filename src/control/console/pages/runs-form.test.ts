import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../../../core/errors.js';
import { hiddenRunFields, readRunForm, runRequestOf } from './runs-form.js';

test('a form becomes the request `vigia run` sends', () => {
  const f = readRunForm(new URLSearchParams({ action: ' purge-binlogs ', where: 'role=mysql,az=b', params: 'days=3\r\nforce=true\n\nnote=a,b', concurrency: '5%', max_errors: '', timeout: '30s', ramp_up: '1' }));
  assert.deepEqual(runRequestOf(f, true), {
    action: 'purge-binlogs', params: { days: 3, force: true, note: 'a,b' }, where: { role: 'mysql', az: 'b' }, all: false, concurrency: '5%', max_errors: '0', ramp_up: true, timeout_ms: 30_000, dry_run: true,
  });
  assert.deepEqual(runRequestOf(readRunForm(new URLSearchParams({ action: 'probe', all: '1' })), false).where, {});
});

test('bad fields are refused naming the flag', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ action: 'Probe!', all: '1' }, /action/],
    [{ action: 'probe', where: 'role' }, /--where/],
    [{ action: 'probe', all: '1', params: 'x' }, /--param/],
    [{ action: 'probe', all: '1', timeout: 'soon' }, /--timeout/],
    [{ action: 'probe', where: 'x'.repeat(9000) + '=1' }, /--where: at most/],
  ];
  for (const [form, want] of cases) assert.throws(() => runRequestOf(readRunForm(new URLSearchParams(form)), true), (e) => isVigiaError(e) && want.test(e.message), JSON.stringify(form).slice(0, 60));
});

test('hidden fields carry the form to the next step, escaped', () => {
  const html = hiddenRunFields(readRunForm(new URLSearchParams({ action: 'probe', where: 'note="><script>', all: '1' })));
  assert.ok(html.includes('value="note=&quot;&gt;&lt;script&gt;"'));
  assert.match(html, /name="all" value="1"/);
  assert.doesNotMatch(html, /name="ramp_up"/);
});
