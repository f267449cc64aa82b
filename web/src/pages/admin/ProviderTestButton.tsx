import { useState } from 'react';
import { api } from '../../api/client';
import { messageOf } from '../../api/errors';
import type { ProviderTestResult } from '../../api/types';
import { formatMs } from '../../lib/format';
import { useAction } from '../../lib/hooks';

/** POST /api/providers/:id/test and say what happened, next to the button. */
export function ProviderTestButton({
  providerId,
  providerName,
}: {
  providerId: string;
  providerName: string;
}) {
  const [result, setResult] = useState<ProviderTestResult | null>(null);
  const test = useAction(async () => {
    setResult(null);
    setResult(await api.testProvider(providerId));
  });
  return (
    <span className="test-result">
      <button
        type="button"
        className="btn btn-sm"
        onClick={() => test.run()}
        disabled={test.pending}
        aria-label={`Test connection to ${providerName}`}
      >
        {test.pending ? 'Testing…' : 'Test connection'}
      </button>
      <span role="status" aria-live="polite" data-testid="provider-test-result">
        {result?.ok && (
          <span className="text-success">
            Connected in {formatMs(result.latencyMs)}
            {result.model ? ` (${result.model})` : ''}
          </span>
        )}
        {result && !result.ok && <span className="text-danger">Failed: {result.error ?? 'no answer'}</span>}
        {test.error !== null && <span className="text-danger">{messageOf(test.error)}</span>}
      </span>
    </span>
  );
}
