// contrib/prometheus: the alert rules pass the real checker (`promtool check rules`), their unit tests pass
// (`promtool test rules`), every alert has a case there that makes it fire, and the README names each one.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promtool } from '../fixtures/prometheus.js';

const DIR = fileURLToPath(new URL('../../contrib/prometheus/', import.meta.url));
const RULES = `${DIR}ots-calendar.rules.yml`;
const TESTS = `${DIR}ots-calendar.rules.test.yml`;
const alerts = [...readFileSync(RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1] as string);

describe('alert rules', () => {
  it('cover the node, anchors, the oldest pending commitment, intake and mirrors', () => {
    expect(alerts).toEqual(expect.arrayContaining(['OtsBitcoinNodeUnreachable', 'OtsNoRecentAnchor', 'OtsOldestPendingTooOld', 'OtsIntakeRefusing', 'OtsMirrorStoppedFollowing', 'OtsMirrorLagging']));
  });

  it('promtool check rules', async () => {
    const r = await promtool(['check', 'rules', RULES]);
    expect(r.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(r.code).toBe(0);
  });

  it('promtool test rules: each alert stays quiet while all is well and fires once it is not', async () => {
    const r = await promtool(['test', 'rules', TESTS]);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
    const tests = readFileSync(TESTS, 'utf8');
    for (const a of alerts) {
      // a firing case: the alert named with a non-empty exp_alerts list
      expect(tests, a).toMatch(new RegExp(`alertname: ${a}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
      expect(tests, a).toMatch(new RegExp(`alertname: ${a}\\n\\s+exp_alerts: \\[\\]`));
    }
  });

  it('the README says what each alert means and what to do', () => {
    const readme = readFileSync(`${DIR}README.md`, 'utf8');
    for (const a of alerts) expect(readme, a).toMatch(new RegExp(`^\\| \`${a}\` \\| .+ \\| .+ \\|$`, 'm'));
  });
});
