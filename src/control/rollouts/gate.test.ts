import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { evaluateWave, type WaveGateInput, type WaveVerdict } from './gate.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 8);

// Wave 2 of 3 (index 1) of a 10,000-host fleet: 1000 hosts, all applied, settled 30 min ago, soak 20 min.
const base: WaveGateInput = {
  wave: 1,
  waveCount: 3,
  hostsInWave: 1000,
  applied: 1000,
  installFailed: 0,
  stuck: 0,
  upgradedCheck: { hosts: 1000, failing: 20 },
  baselineCheck: { hosts: 9000, failing: 180 },
  settledAt: T0,
  now: T0 + 30 * MIN,
  soakMs: 20 * MIN,
  maxFailureRate: 0.05,
};

type Row = [name: string, over: Partial<WaveGateInput>, verdict: WaveVerdict, reason: RegExp, rates: [install: number, check: number, baseline: number, stuck: number]];

test('evaluateWave: table of hand-computed cases', () => {
  const rows: Row[] = [
    ['healthy, soaked -> advance', {}, 'advance', /^wave 2\/3 healthy: 1000 of 1000 hosts applied, checks 2\.0 % vs baseline 2\.0 %; next wave$/, [0, 0.02, 0.02, 0]],
    ['healthy last wave -> complete', { wave: 2, hostsInWave: 10_000, applied: 10_000, upgradedCheck: { hosts: 10_000, failing: 200 }, baselineCheck: { hosts: 10_000, failing: 200 } }, 'complete', /wave 3\/3 healthy: .*rollout complete/, [0, 0.02, 0.02, 0]],
    // 51 / 1000 = 5.1 % > 5 %
    ['install failures above threshold', { installFailed: 51, applied: 949, settledAt: null }, 'fail', /install failed on 51 of 1000 hosts \(5\.1 % > 5\.0 %\)/, [0.051, 0.02, 0.02, 0]],
    // exactly 5 % is tolerated
    ['install failures at threshold', { installFailed: 50, applied: 950 }, 'advance', /next wave/, [0.05, 0.02, 0.02, 0]],
    // canary of one host: its install failure is 100 %
    ['canary install failure fails early', { wave: 0, hostsInWave: 1, applied: 0, installFailed: 1, upgradedCheck: { hosts: 0, failing: 0 }, settledAt: null }, 'fail', /wave 1\/3: install failed on 1 of 1 host \(100\.0 % > 5\.0 %\)/, [1, 0, 0.02, 0]],
    // 90/1000 = 9 % vs 2 % baseline: +7 % > 5 %; fails during soak too
    ['checks worse than baseline', { upgradedCheck: { hosts: 1000, failing: 90 }, now: T0 + 5 * MIN }, 'fail', /checks failing on 90 of 1000 upgraded hosts \(9\.0 %\) vs baseline 2\.0 %: \+7\.0 % > 5\.0 %/, [0, 0.09, 0.02, 0]],
    // 70/1000 = 7 % vs 2 %: +5 % exactly -> not a failure
    ['checks at threshold above baseline', { upgradedCheck: { hosts: 1000, failing: 70 } }, 'advance', /checks 7\.0 % vs baseline 2\.0 %/, [0, 0.07, 0.02, 0]],
    // a sick baseline: 30 % failing before the rollout, 33 % after -> +3 %
    ['a high baseline is subtracted', { upgradedCheck: { hosts: 1000, failing: 330 }, baselineCheck: { hosts: 9000, failing: 2700 } }, 'advance', /next wave/, [0, 0.33, 0.3, 0]],
    // canary with a CRITICAL check: 100 % - 2 % = 98 %
    ['canary host with a failing check', { wave: 0, hostsInWave: 1, applied: 1, upgradedCheck: { hosts: 1, failing: 1 }, settledAt: null }, 'fail', /\+98\.0 % > 5\.0 %/, [0, 1, 0.02, 0]],
    // 3 of 3 failing but minHostsForRate 5: not judged yet; not settled -> wait
    ['too few hosts to judge the check rate', { applied: 990, upgradedCheck: { hosts: 3, failing: 3 }, minHostsForRate: 5, settledAt: null }, 'wait', /waiting for 10 of 1000 hosts \(990 applied, 0 failed, 0 stuck\)/, [0, 1, 0.02, 0]],
    ['not settled', { applied: 640, installFailed: 2, upgradedCheck: { hosts: 600, failing: 12 }, settledAt: null }, 'wait', /^wave 2\/3: waiting for 358 of 1000 hosts \(640 applied, 2 failed, 0 stuck\)$/, [0.002, 0.02, 0.02, 0]],
    // settled 5 min ago, soak 20 min -> 15 min left
    ['soaking', { now: T0 + 5 * MIN }, 'wait', /^wave 2\/3: soaking, 15 min left$/, [0, 0.02, 0.02, 0]],
    ['soaking, seconds left', { now: T0 + 20 * MIN - 30_000 }, 'wait', /soaking, 30 s left/, [0, 0.02, 0.02, 0]],
    ['soak ends exactly now', { now: T0 + 20 * MIN }, 'advance', /next wave/, [0, 0.02, 0.02, 0]],
    // 30 stuck of 1000 = 3 % <= 5 %: settled, advance, reported
    ['a few stuck hosts do not block', { applied: 970, stuck: 30, upgradedCheck: { hosts: 970, failing: 19 } }, 'advance', /970 of 1000 hosts applied, 30 stuck/, [0, 19 / 970, 0.02, 0.03]],
    // 80 stuck = 8 % > 5 %: hold, not fail
    ['many stuck hosts hold the rollout', { applied: 920, stuck: 80, upgradedCheck: { hosts: 920, failing: 18 } }, 'wait', /holding: 80 of 1000 hosts stuck \(8\.0 % > 5\.0 %\); see drift/, [0, 18 / 920, 0.02, 0.08]],
    ['maxStuckRate raised by an operator', { applied: 920, stuck: 80, upgradedCheck: { hosts: 920, failing: 18 }, maxStuckRate: 0.1 }, 'advance', /80 stuck/, [0, 18 / 920, 0.02, 0.08]],
    ['stuck canary holds', { wave: 0, hostsInWave: 1, applied: 0, stuck: 1, upgradedCheck: { hosts: 0, failing: 0 } }, 'wait', /holding: 1 of 1 host stuck \(100\.0 % > 5\.0 %\)/, [0, 0, 0.02, 1]],
    ['no check results after soak', { upgradedCheck: { hosts: 0, failing: 0 } }, 'wait', /waiting for check results \(0 of 1 upgraded hosts reported\)/, [0, 0, 0.02, 0]],
    ['minHostsForRate capped by applied', { hostsInWave: 3, applied: 3, upgradedCheck: { hosts: 3, failing: 0 }, minHostsForRate: 10 }, 'advance', /next wave/, [0, 0, 0.02, 0]],
    ['minHostsForRate not reached', { upgradedCheck: { hosts: 9, failing: 0 }, minHostsForRate: 10 }, 'wait', /9 of 10 upgraded hosts reported/, [0, 0, 0.02, 0]],
    ['empty wave (fewer hosts than waves)', { hostsInWave: 0, applied: 0, upgradedCheck: { hosts: 0, failing: 0 }, baselineCheck: { hosts: 0, failing: 0 } }, 'advance', /0 of 0 hosts applied/, [0, 0, 0, 0]],
    // baseline measured at rollout start: all hosts upgraded, last wave
    ['last wave fails against the start baseline', { wave: 2, hostsInWave: 10_000, applied: 10_000, upgradedCheck: { hosts: 10_000, failing: 800 }, baselineCheck: { hosts: 10_000, failing: 200 } }, 'fail', /\+6\.0 % > 5\.0 %/, [0, 0.08, 0.02, 0]],
  ];
  for (const [name, over, verdict, reason, [install, check, baseline, stuck]] of rows) {
    const r = evaluateWave({ ...base, ...over });
    assert.equal(r.verdict, verdict, `${name}: ${r.reason}`);
    assert.match(r.reason, reason, name);
    assert.ok(Math.abs(r.installFailureRate - install) < 1e-12, `${name}: install ${r.installFailureRate}`);
    assert.ok(Math.abs(r.checkFailureRate - check) < 1e-12, `${name}: check ${r.checkFailureRate}`);
    assert.ok(Math.abs(r.baselineRate - baseline) < 1e-12, `${name}: baseline ${r.baselineRate}`);
    assert.ok(Math.abs(r.stuckRate - stuck) < 1e-12, `${name}: stuck ${r.stuckRate}`);
  }
});

test('evaluateWave: float noise at the threshold is not a failure', () => {
  // 0.34 - 0.29 = 0.050000000000000044 in doubles: exactly 5 %, so tolerated.
  assert.ok(34 / 100 - 29 / 100 > 0.05);
  const r = evaluateWave({ ...base, upgradedCheck: { hosts: 100, failing: 34 }, baselineCheck: { hosts: 100, failing: 29 } });
  assert.equal(r.verdict, 'advance');
  const s = evaluateWave({ ...base, maxFailureRate: 0.07, hostsInWave: 100, applied: 93, installFailed: 7, upgradedCheck: { hosts: 93, failing: 2 } });
  assert.equal(s.verdict, 'advance', s.reason);
});

test('evaluateWave: nonsense input is refused', () => {
  const bad: Partial<WaveGateInput>[] = [
    { hostsInWave: -1 },
    { applied: 1.5 },
    { wave: 3 },
    { maxFailureRate: 1.5 },
    { maxFailureRate: Number.NaN },
    { maxStuckRate: -0.1 },
    { soakMs: -1 },
    { upgradedCheck: { hosts: Number.NaN, failing: 0 } },
  ];
  for (const over of bad) {
    assert.throws(() => evaluateWave({ ...base, ...over }), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_INTERNAL'), JSON.stringify(over));
  }
});
