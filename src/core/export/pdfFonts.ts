import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as fontkit from 'fontkit';
import type { PdfFonts } from './types.js';

/**
 * The fonts the PDF export prints with, and which one prints each character.
 *
 * Noto fonts ship in npm packages (no download at run time): Noto Sans for Latin, Cyrillic and
 * Greek (regular, bold, italic, bold italic); Noto Sans Hans (Simplified Chinese, which also covers
 * Japanese kana and the CJK ideographs Japanese uses, with Chinese glyph shapes) for CJK; Noto
 * Naskh Arabic for Arabic; Noto Sans Hebrew for Hebrew. Text is split into runs by script and each
 * run gets the font of its script; punctuation, digits and spaces stay in the run around them. A
 * character the script's font lacks goes to the first other font that has it; one that no font has
 * prints as a plain fallback ("?" at worst).
 */
export type Family = 'latin' | 'cjk' | 'arabic' | 'hebrew';
export type Style = 'regular' | 'bold' | 'italic' | 'boldItalic';

const require = createRequire(import.meta.url);

function packageFont(pkg: string, file: string): string {
  // Each @embedpdf/fonts-* package keeps its files in fonts/, next to dist/ (its main entry).
  return join(dirname(require.resolve(pkg)), '..', 'fonts', file);
}

type FontSource = string | Buffer;
type FamilyFiles = Record<'regular' | 'bold', FontSource> & Partial<Record<Style, FontSource>>;

let notoFiles: Record<Family, FamilyFiles> | undefined;
function noto(): Record<Family, FamilyFiles> {
  notoFiles ??= {
    latin: {
      regular: packageFont('@embedpdf/fonts-latin', 'NotoSans-Regular.ttf'),
      bold: packageFont('@embedpdf/fonts-latin', 'NotoSans-Bold.ttf'),
      italic: packageFont('@embedpdf/fonts-latin', 'NotoSans-Italic.ttf'),
      boldItalic: packageFont('@embedpdf/fonts-latin', 'NotoSans-BoldItalic.ttf'),
    },
    cjk: {
      regular: packageFont('@embedpdf/fonts-sc', 'NotoSansHans-Regular.otf'),
      bold: packageFont('@embedpdf/fonts-sc', 'NotoSansHans-Bold.otf'),
    },
    arabic: {
      regular: packageFont('@embedpdf/fonts-arabic', 'NotoNaskhArabic-Regular.ttf'),
      bold: packageFont('@embedpdf/fonts-arabic', 'NotoNaskhArabic-Bold.ttf'),
    },
    hebrew: {
      regular: packageFont('@embedpdf/fonts-hebrew', 'NotoSansHebrew-Regular.ttf'),
      bold: packageFont('@embedpdf/fonts-hebrew', 'NotoSansHebrew-Bold.ttf'),
    },
  };
  return notoFiles;
}

// Font files are read and parsed once per process (per render thread) and kept: the CJK font is 8 MB.
const bytesCache = new Map<string, Buffer>();
const faceCache = new Map<string, fontkit.Font>();
// Fonts a caller passes as bytes (ExportOptions.pdfFonts) live as long as their buffer.
const bufferFaces = new WeakMap<Buffer, fontkit.Font>();

function bytes(src: string | Buffer): Buffer {
  if (typeof src !== 'string') return src;
  let b = bytesCache.get(src);
  if (!b) {
    b = readFileSync(src);
    bytesCache.set(src, b);
  }
  return b;
}

function face(src: string | Buffer): fontkit.Font {
  if (typeof src !== 'string') {
    let f = bufferFaces.get(src);
    if (!f) {
      f = fontkit.create(src);
      bufferFaces.set(src, f);
    }
    return f;
  }
  let f = faceCache.get(src);
  if (!f) {
    f = fontkit.create(bytes(src));
    faceCache.set(src, f);
  }
  return f;
}

/** The Unicode script family of a code point, or null for characters every script shares. */
export function familyOf(cp: number): Family | null {
  if (cp <= 0x40 || (cp >= 0x5b && cp <= 0x60) || (cp >= 0x7b && cp <= 0xbf)) return null;
  if ((cp >= 0x2000 && cp <= 0x206f) || cp === 0xd7) return null;
  if ((cp >= 0x0590 && cp <= 0x05ff) || (cp >= 0xfb1d && cp <= 0xfb4f)) return 'hebrew';
  if (
    (cp >= 0x0600 && cp <= 0x06ff) ||
    (cp >= 0x0750 && cp <= 0x077f) ||
    (cp >= 0x08a0 && cp <= 0x08ff) ||
    (cp >= 0xfb50 && cp <= 0xfdff) ||
    (cp >= 0xfe70 && cp <= 0xfeff)
  ) {
    return 'arabic';
  }
  if (isCjk(cp)) return 'cjk';
  return 'latin';
}

export function isCjk(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x2e80 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x20000 && cp <= 0x3ffff)
  );
}

/** Right-to-left letters (Hebrew, Arabic and their presentation forms). */
export const RTL_CHAR = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;

// Characters the built-in Courier can print: Windows-1252 (Latin-1 plus these).
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
export function isCp1252(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRA.has(ch);
}

/** Printed instead of a character no font has. */
const FALLBACKS: Record<string, string> = {
  '☑': '[x]',
  '☐': '[ ]',
  '✓': 'v',
  '✔': 'v',
  '→': '->',
  '←': '<-',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
};

export interface Segment {
  text: string;
  /** The registered pdfkit font name. */
  font: string;
  family: Family | 'mono';
}

const FAMILIES: Family[] = ['latin', 'cjk', 'arabic', 'hebrew'];

/** The fonts registered with one PDF document, and the splitting of text into runs by font. */
export class FontBook {
  private readonly files: Record<Family, FamilyFiles>;
  private readonly mono: string | Buffer | 'Courier';

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    custom?: PdfFonts,
  ) {
    const base = noto();
    // Fonts passed in by the caller take the Latin family's place; the others stay Noto.
    this.files = {
      ...base,
      latin: custom
        ? {
            regular: custom.regular,
            bold: custom.bold ?? custom.regular,
            italic: custom.italic ?? custom.regular,
            boldItalic: custom.boldItalic ?? custom.bold ?? custom.regular,
          }
        : base.latin,
    };
    this.mono = custom?.mono ?? 'Courier';
  }

  private readonly registered = new Set<string>();

  private file(family: Family, style: Style): string | Buffer {
    const f = this.files[family];
    if (style === 'boldItalic') return f.boldItalic ?? f.bold;
    return f[style] ?? f.regular;
  }

  /**
   * The pdfkit name of a font, registered with the document on first use, so a PDF without CJK text
   * never opens the CJK font. pdfkit takes a parsed fontkit font too: parsed once per process.
   */
  name(family: Family, style: Style): string {
    const name = `sy-${family}-${style}`;
    if (!this.registered.has(name)) {
      this.doc.registerFont(name, face(this.file(family, style)) as unknown as Buffer);
      this.registered.add(name);
    }
    return name;
  }

  get monoName(): string {
    if (this.mono === 'Courier') return 'Courier';
    if (!this.registered.has('sy-mono')) {
      this.doc.registerFont('sy-mono', face(this.mono) as unknown as Buffer);
      this.registered.add('sy-mono');
    }
    return 'sy-mono';
  }

  private covers(family: Family, style: Style, cp: number): boolean {
    return face(this.file(family, style)).hasGlyphForCodePoint(cp);
  }

  private monoCovers(ch: string): boolean {
    if (this.mono === 'Courier') return isCp1252(ch);
    return face(this.mono).hasGlyphForCodePoint(ch.codePointAt(0)!);
  }

  /** The family that prints a character: its script's font, or the first other font that has it. */
  private familyFor(cp: number, style: Style): Family | null {
    const own = familyOf(cp) ?? 'latin';
    if (this.covers(own, style, cp)) return own;
    return FAMILIES.find((f) => f !== own && this.covers(f, style, cp)) ?? null;
  }

  /** Splits text into runs that each print with one font. */
  segments(text: string, style: Style, mono = false): Segment[] {
    const out: Segment[] = [];
    let current: Segment | undefined;
    const push = (ch: string, family: Family | 'mono', font: string) => {
      if (current && current.font === font) current.text += ch;
      else {
        current = { text: ch, font, family };
        out.push(current);
      }
    };
    for (const raw of text.replace(/\t/g, '    ')) {
      let ch = raw;
      const cp = ch.codePointAt(0)!;
      if (ch === '\n') {
        push(
          ch,
          current?.family ?? (mono ? 'mono' : 'latin'),
          current?.font ?? this.defaultFont(style, mono),
        );
        continue;
      }
      if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
      if (mono && this.monoCovers(ch)) {
        push(ch, 'mono', this.monoName);
        continue;
      }
      const fontStyle = mono ? 'regular' : style;
      // Shared characters (spaces, digits, punctuation) stay with the run they are in.
      if (
        current &&
        current.family !== 'mono' &&
        familyOf(cp) === null &&
        this.covers(current.family, fontStyle, cp)
      ) {
        current.text += ch;
        continue;
      }
      let family = this.familyFor(cp, fontStyle);
      if (!family) {
        ch = FALLBACKS[ch] ?? '?';
        family = 'latin';
      }
      push(ch, family, this.name(family, fontStyle));
    }
    return out;
  }

  defaultFont(style: Style, mono = false): string {
    return mono ? this.monoName : this.name('latin', style);
  }
}
