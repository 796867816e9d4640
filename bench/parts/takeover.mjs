/** Part 8: import-otsd of a reference calendar directory with 1,000,000 commitments (bench/takeover.mjs). */
import { figure } from '../lib/report.mjs';
import { runTakeoverBench } from '../takeover.mjs';

export async function takeoverPart() {
  const r = await runTakeoverBench();
  const [base, baseRss, imp, cpu, rss, parts, rate] = r.figures;
  return {
    figures: [
      figure(base.label, base.value, base.unit),
      figure(baseRss.label, baseRss.value, baseRss.unit),
      figure(imp.label, imp.value, imp.unit, { target: imp.target, ratio: imp.ratio }),
      figure(cpu.label, cpu.value, cpu.unit),
      figure(rss.label, rss.value, rss.unit, { target: rss.target }),
      figure(parts.label, parts.value, parts.unit),
      figure(rate.label, rate.value, rate.unit),
    ],
    details: r.details,
  };
}
