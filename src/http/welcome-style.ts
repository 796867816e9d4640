/** @module The welcome page's one inline style sheet and the Content-Security-Policy that admits exactly it (by hash) and nothing else. */
import { createHash } from 'node:crypto';

/** Readable on a phone and a desktop, light and dark; long hex and URLs wrap instead of widening the page. */
export const WELCOME_CSS = [
  ':root{color-scheme:light dark;--fg:#1d2327;--muted:#5b6670;--bg:#fff;--panel:#f3f5f7;--line:#dde3e8;--accent:#a85400}',
  '@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--muted:#9aa5ae;--bg:#14181b;--panel:#1e2428;--line:#2e363c;--accent:#f2a65a}}',
  '*{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%;text-size-adjust:100%}',
  'body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:46rem;margin:0 auto;padding:1.25rem 1rem 2.5rem}',
  'header{border-bottom:3px solid var(--accent);padding-bottom:.75rem;margin-bottom:1rem}',
  'h1{font-size:1.6rem;line-height:1.2;margin:0 0 .35rem}',
  'h2{font-size:1.2rem;margin:1.9rem 0 .5rem}',
  'h3{font-size:1rem;margin:1.1rem 0 .3rem}',
  'p{margin:.5rem 0}',
  'a{color:var(--accent)}',
  'code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}',
  'code{overflow-wrap:anywhere}',
  '.url{font-size:1.05rem;margin:0;overflow-wrap:anywhere}',
  'pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;margin:.4rem 0 .8rem;white-space:pre-wrap;overflow-wrap:anywhere}',
  'dl{display:grid;grid-template-columns:minmax(9rem,38%) minmax(0,1fr);margin:.4rem 0;border-top:1px solid var(--line)}',
  'dt,dd{margin:0;padding:.4rem .3rem;border-bottom:1px solid var(--line)}',
  'dt{color:var(--muted)}',
  'dd{overflow-wrap:anywhere;min-width:0}',
  'ul{padding-left:1.2rem;margin:.4rem 0}',
  'li{overflow-wrap:anywhere}',
  '.age,.note{color:var(--muted)}',
  '.age{white-space:nowrap}',
  'footer{margin-top:2.2rem;padding-top:.6rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}',
  '@media (max-width:32rem){main{padding:1rem .8rem 2rem}h1{font-size:1.35rem}pre{font-size:.8em;padding:.5rem .6rem}dl{grid-template-columns:minmax(0,1fr)}dt{border-bottom:0;padding-bottom:0;font-size:.85rem}dd{padding-top:.05rem}}',
].join('');

const CSS_HASH = createHash('sha256').update(WELCOME_CSS).digest('base64');

/**
 * No script, no remote anything: the one style element (by hash, so an injected one would not
 * apply), `data:` images for the icon, and no framing, forms or base URL.
 */
export const WELCOME_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${CSS_HASH}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
