import { useState } from 'react';
import { api } from '../../api/client';
import { messageOf } from '../../api/errors';
import type { ProviderTestResult } from '../../api/types';
import { formatMs } from '../../lib/format';

/** POST /api/providers/:id/test and say what happened, next to the button. */
export function ProviderTestButton({
  providerId,
  providerName,
}: {
  providerId: string;
  providerName: string;
}) {
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<ProviderTestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setPending(true);
    setResult(null);
    setError(null);
    try {
      setResult(await api.testProvider(providerId));
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  return (
    <span className="test-result">
      <button
        type="button"
        className="btn btn-sm"
        onClick={run}
        disabled={pending}
        aria-label={`Test connection to ${providerName}`}
      >
        {pending ? 'Testing…' : 'Test connection'}
      </button>
      <span role="status" aria-live="polite" data-testid="provider-test-result">
        {result?.ok && (
          <span className="text-success">
            Connected in {formatMs(result.latencyMs)}
            {result.model ? ` (${result.model})` : ''}
          </span>
        )}
        {result && !result.ok && <span className="text-danger">Failed: {result.error ?? 'no answer'}</span>}
        {error !== null && <span className="text-danger">{messageOf(error)}</span>}
      </span>
    </span>
  );
}
