/** Figures, their targets, and the table printed at the end of a run (plain text and Markdown). */

/**
 * One reported number. `target` is { op: '>=' | '<=', value } (met is computed), `ratio` is the figure
 * divided by the baseline measured in the same run, with its own optional `ratioTarget`.
 */
export function figure(label, value, unit, { target, ratio, ratioTarget, note } = {}) {
  const f = { label, value, unit };
  if (target) {
    f.target = target;
    f.met = Number.isFinite(value) && (target.op === '>=' ? value >= target.value : value <= target.value);
  }
  if (ratio !== undefined) {
    f.ratio = ratio;
    if (ratioTarget) {
      f.ratioTarget = ratioTarget;
      f.ratioMet = Number.isFinite(ratio) && (ratioTarget.op === '>=' ? ratio >= ratioTarget.value : ratio <= ratioTarget.value);
    }
  }
  if (note) f.note = note;
  return f;
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const nf3 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export function formatNumber(v) {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1000) return nf.format(v);
  if (a >= 100) return nf1.format(v);
  if (a >= 1) return nf2.format(v);
  return nf3.format(v);
}

function formatValue(f) {
  return `${formatNumber(f.value)}${f.unit ? ` ${f.unit}` : ''}`;
}

function formatTarget(t, unit) {
  if (!t) return '';
  return `${t.op === '>=' ? '≥' : '≤'} ${formatNumber(t.value)}${unit ? ` ${unit}` : ''}`;
}

function mark(met) {
  if (met === undefined) return '';
  return met ? 'yes' : 'NO';
}

/** Rows of every figure of every part, as arrays of cells. */
export function rows(parts) {
  const out = [];
  for (const p of parts) {
    if (p.status !== 'ok') {
      out.push([p.id, p.title, p.status === 'not available' ? 'not available' : `failed: ${p.error ?? ''}`.slice(0, 80), '', '', '', '', '']);
      continue;
    }
    for (const f of p.figures) {
      out.push([
        p.id,
        f.label,
        formatValue(f),
        formatTarget(f.target, f.unit),
        mark(f.met),
        f.ratio === undefined ? '' : formatNumber(f.ratio),
        formatTarget(f.ratioTarget, ''),
        mark(f.ratioMet),
      ]);
    }
  }
  return out;
}

const HEAD = ['part', 'figure', 'measured', 'target', 'met', 'ratio', 'ratio target', 'met'];

export function textTable(parts) {
  const all = [HEAD, ...rows(parts)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(parts) {
  const esc = (c) => String(c).replaceAll('|', '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows(parts).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
