// fontkit (pdfkit's font engine) ships no type declarations; this is the little the PDF exporter uses.
declare module 'fontkit' {
  export interface Font {
    postscriptName: string;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function create(buffer: Buffer | Uint8Array): Font;
}
