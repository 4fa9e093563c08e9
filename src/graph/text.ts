/**
 * @file Showing untrusted text. Names, op types, domains, symbolic dims and string attributes come
 * from the model; printers and error messages show them only through `quote`/`word`, which keep
 * printable ASCII and escape everything else, so a model cannot inject control sequences or
 * invisible characters into a terminal, a log or a dump.
 */

const MAX_SHOWN = 64;
const WORD = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `s` in double quotes, non-printable and non-ASCII characters escaped, long text cut short. */
export function quote(s: string): string {
  const chars = [...s];
  const body = chars.slice(0, MAX_SHOWN).map((c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    return /^[\x20-\x7e]$/.test(c) ? c : escapeChar(c);
  });
  return `"${body.join('')}${chars.length > MAX_SHOWN ? '…' : ''}"`;
}

/** `s` bare when it is a plain identifier (dots allowed, as in domains), else quoted. */
export function word(s: string): string {
  return WORD.test(s) && s.length <= MAX_SHOWN ? s : quote(s);
}
