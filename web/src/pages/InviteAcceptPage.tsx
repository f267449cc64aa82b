import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { Team } from '../api/types';
import { ActionButton } from '../components/ActionButton';
import { PageHeader } from '../components/Layout';
import { ErrorMessage } from '../components/Status';
import { writeCurrentTeam } from '../lib/currentTeam';
import { useAction, usePageTitle } from '../lib/hooks';

/** /invites/:token — the signed-in user accepts a team invite (signed-out users sign in first and come back). */
export function InviteAcceptPage() {
  usePageTitle('Team invite');
  const { token = '' } = useParams();
  const [joined, setJoined] = useState<Team | null>(null);
  const accept = useAction(async () => {
    const team = await api.acceptInvite(token);
    writeCurrentTeam(team.id);
    setJoined(team);
  });
  return (
    <section className="stack">
      <PageHeader title="Team invite" />
      {joined ? (
        <p role="status">
          You joined <strong>{joined.name}</strong>. <Link to="/teams">Go to your teams</Link> or{' '}
          <Link to="/">see its tasks</Link>.
        </p>
      ) : (
        <>
          <p>You have been invited to a team. The link works once.</p>
          <div className="row">
            <ActionButton
              action={accept}
              className="btn btn-primary"
              label="Join the team"
              pendingLabel="Joining…"
            />
          </div>
          {accept.error !== null && <ErrorMessage error={accept.error} title="Could not join" />}
        </>
      )}
    </section>
  );
}
