import { useState } from 'react';
import { api } from '../../api/client';
import { saveBlob } from '../../api/contentDisposition';
import { type ContentDetail, EXPORT_FORMATS, type ExportFormat } from '../../api/types';
import { ErrorMessage, Notice } from '../../components/Status';
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
  const [pending, setPending] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const run = async (format: ExportFormat) => {
    setPending(format);
    setError(null);
    setDone(null);
    try {
      const file = await api.exportContent(content.id, format, version === '' ? undefined : version);
      saveBlob(file.blob, file.filename);
      setDone(file.filename);
    } catch (e) {
      setError(e);
    } finally {
      setPending(null);
    }
  };

  return (
    <div className="stack">
      <VersionSelect content={content} label="Version to export" value={version} onChange={setVersion} />
      <div className="export-grid">
        {EXPORT_FORMATS.map((f) => (
          <button
            key={f}
            type="button"
            className="btn export-btn"
            onClick={() => run(f)}
            disabled={pending !== null}
            aria-label={`Export ${FORMAT_LABELS[f].name}`}
          >
            <span className="export-name">{pending === f ? 'Preparing…' : FORMAT_LABELS[f].name}</span>
            <span className="muted small">{FORMAT_LABELS[f].ext}</span>
          </button>
        ))}
      </div>
      {error !== null && <ErrorMessage error={error} title="Export failed" />}
      {done && <Notice>Downloaded {done}.</Notice>}
    </div>
  );
}
