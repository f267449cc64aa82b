import { useState } from 'react';
import { api } from '../../api/client';
import { saveBlob } from '../../api/contentDisposition';
import { type ContentDetail, EXPORT_FORMATS, type ExportFormat } from '../../api/types';
import { ErrorMessage, Notice } from '../../components/Status';
import { useAction } from '../../lib/hooks';
import { type VersionChoice, VersionSelect } from './VersionSelect';

export const FORMAT_LABELS: Record<ExportFormat, { name: string; ext: string }> = {
  markdown: { name: 'Markdown', ext: '.md' },
  html: { name: 'HTML', ext: '.html' },
  txt: { name: 'Plain text', ext: '.txt' },
  json: { name: 'JSON', ext: '.json' },
  pdf: { name: 'PDF', ext: '.pdf' },
  docx: { name: 'Word', ext: '.docx' },
};

export function ExportPanel({ content }: { content: ContentDetail }) {
  const [version, setVersion] = useState<VersionChoice>('');
  const [format, setFormat] = useState<ExportFormat | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const exporting = useAction(async (f: ExportFormat) => {
    setFormat(f);
    setDone(null);
    const file = await api.exportContent(content.id, f, version === '' ? undefined : version);
    saveBlob(file.blob, file.filename);
    setDone(file.filename);
  });
  const pending = exporting.pending ? format : null;

  return (
    <div className="stack">
      <VersionSelect content={content} label="Version to export" value={version} onChange={setVersion} />
      <div className="export-grid">
        {EXPORT_FORMATS.map((f) => (
          <button
            key={f}
            type="button"
            className="btn export-btn"
            onClick={() => exporting.run(f)}
            disabled={pending !== null}
            aria-label={`Export ${FORMAT_LABELS[f].name}`}
          >
            <span className="export-name">{pending === f ? 'Preparing…' : FORMAT_LABELS[f].name}</span>
            <span className="muted small">{FORMAT_LABELS[f].ext}</span>
          </button>
        ))}
      </div>
      {exporting.error !== null && <ErrorMessage error={exporting.error} title="Export failed" />}
      {done && <Notice>Downloaded {done}.</Notice>}
    </div>
  );
}
