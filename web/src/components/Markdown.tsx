import { useMemo } from 'react';
import { renderMarkdown, sanitizeHtmlToReact } from '../lib/markdown';

/** Renders stored content by its type; markdown and HTML are sanitized (lib/markdown.tsx). */
export function ContentBody({ source, contentType = 'markdown' }: { source: string; contentType?: string }) {
  const type = contentType.toLowerCase();
  const nodes = useMemo(() => {
    if (type === 'html') return sanitizeHtmlToReact(source);
    if (['markdown', 'md', 'text/markdown', 'article', ''].includes(type)) return renderMarkdown(source);
    return null;
  }, [source, type]);
  if (nodes === null) {
    return (
      <pre className="prose-plain" data-testid="content-body">
        {source}
      </pre>
    );
  }
  return (
    <div className="prose" data-testid="content-body">
      {nodes}
    </div>
  );
}
