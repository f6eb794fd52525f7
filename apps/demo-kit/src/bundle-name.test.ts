import { describe, expect, it } from 'vitest';
import { bundleName } from './bundle-name';
import { printable } from './printable';

// The speech and medical services' GET /info said the bundle's path on the server (any web client
// reads it); they name a model by its bundle folder's own name now.

describe('bundleName', () => {
  it("is the folder's own name, never its path", () => {
    expect(bundleName('/srv/private/alice/models/speech-digits')).toBe('speech-digits');
    expect(bundleName('/srv/models/pneumonia/')).toBe('pneumonia');
    expect(bundleName('models/./speech-digits/../polyps')).toBe('polyps');
    expect(bundleName('/')).toBe('model');
  });

  it('escapes control characters and bidirectional overrides, and shortens a long name', () => {
    // As printable escapes anything else a service says (a newline is \\n, not \\u000a: R1-6, session 27).
    expect(bundleName('/m/a\u001b[31mb\nc\u202e\r\t')).toBe('a\\u001b[31mb\\nc\\u202e\\r\\t');
    expect(bundleName('/m/a\u001b[31mb\nc\u202e\r\t')).toBe(printable('a\u001b[31mb\nc\u202e\r\t'));
    expect(bundleName(`/m/${'n'.repeat(300)}`)).toBe(`${'n'.repeat(100)}…`);
  });

  it('cuts a long name by whole characters before escaping: never half an escape or half an emoji', () => {
    // Escaped first and cut at 100 UTF-16 units, these gave 'aaa\\u2…' and half of the emoji (R2-3, session 27).
    expect(bundleName(`/srv/${'a'.repeat(97)}\u202eevil`)).toBe(`${'a'.repeat(97)}\\u202eev…`);
    const emoji = bundleName(`/srv/${'a'.repeat(99)}😀x`);
    expect(emoji).toBe(`${'a'.repeat(99)}😀…`);
    expect(Buffer.from(emoji, 'utf8').toString('utf8')).toBe(emoji); // no lone surrogate (it would come back as U+FFFD)
  });

  // The RLM, LRM and ALM marks reorder text as the overrides do; both copies of the escaping let them through (R1-6).
  it('escapes every bidirectional control, the marks too, and nothing printable', () => {
    expect(printable('a\u200fb\u200ec\u061cd\u2067e\u202bf')).toBe('a\\u200fb\\u200ec\\u061cd\\u2067e\\u202bf');
    expect(printable('Zürich — 東京 ✓ ﷺ')).toBe('Zürich — 東京 ✓ ﷺ');
  });
});
