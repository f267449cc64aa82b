import { useState } from 'react';
import { api } from '../api/client';
import type { CreatedInvite, TeamDetail, TeamRole } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyButton } from '../components/CopyButton';
import { AsyncTable } from '../components/DataTable';
import { InlineInput, InlineSelect } from '../components/Field';
import { Form } from '../components/Form';
import { Card, PageHeader } from '../components/Layout';
import { ErrorMessage, Loading } from '../components/Status';
import { useCurrentTeam } from '../lib/currentTeam';
import { formatDateTime, humanize } from '../lib/format';
import { useAction, useAsync, usePageTitle } from '../lib/hooks';

const ROLES: TeamRole[] = ['owner', 'admin', 'member'];
const PLATFORMS = [
  { value: 'slack', label: 'Slack workspace (team id, T…)' },
  { value: 'discord', label: 'Discord server (guild id)' },
  { value: 'telegram', label: 'Telegram group (chat id)' },
];

/** What <Form> needs of an action that takes no arguments. */
const actionState = (a: { run: () => Promise<unknown>; error: unknown; pending: boolean }) => ({
  submit: () => void a.run(),
  error: a.error,
  pending: a.pending,
});

/** Teams: the caller's teams, creating one, and (for the selected team) members, invites and chat workspaces. */
export function TeamsPage() {
  usePageTitle('Teams');
  const teams = useAsync((s) => api.listTeams(s), []);
  const [current, setCurrent] = useCurrentTeam();
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const t = await api.createTeam({ name });
    setName('');
    teams.reload({ silent: true });
    setCurrent(t.id);
  });
  const selected = current ?? teams.data?.items[0]?.id ?? null;

  return (
    <section className="stack">
      <PageHeader title="Teams" />
      <p>
        A team shares tasks, content, provider accounts and inbound hooks. Pick the team you work in with the
        switcher at the top; lists then show that team’s tasks and content.
      </p>
      <Card title="Create a team">
        <Form
          aria-label="Create a team"
          state={actionState(create)}
          errorTitle="The team was not created"
          submitLabel="Create team"
          pendingLabel="Creating…"
          disabled={!name.trim()}
        >
          <InlineInput label="Name" value={name} onChange={setName} required maxLength={100} />
        </Form>
      </Card>
      <Card title="Your teams">
        <AsyncTable
          state={teams}
          loadingLabel="Loading your teams…"
          empty="You are not in any team yet."
          caption="Your teams"
          rowKey={(t) => t.id}
          columns={[
            { header: 'Team', cell: (t) => t.name },
            { header: 'Your role', cell: (t) => (t.role ? humanize(t.role) : '—') },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (t) =>
                t.id === selected ? (
                  <span className="muted">Selected</span>
                ) : (
                  <button type="button" className="btn btn-sm" onClick={() => setCurrent(t.id)}>
                    Manage {t.name}
                  </button>
                ),
            },
          ]}
        />
      </Card>
      {selected && <TeamDetailCard key={selected} teamId={selected} />}
    </section>
  );
}

function TeamDetailCard({ teamId }: { teamId: string }) {
  const { user } = useAuth();
  const team = useAsync((s) => api.getTeam(teamId, s), [teamId]);
  const [invite, setInvite] = useState<CreatedInvite | null>(null);
  const [inviteRole, setInviteRole] = useState<TeamRole>('member');
  const [inviteEmail, setInviteEmail] = useState('');
  const [platform, setPlatform] = useState('slack');
  const [externalId, setExternalId] = useState('');
  const createInvite = useAction(async () => {
    setInvite(
      await api.createInvite(teamId, { role: inviteRole, ...(inviteEmail ? { email: inviteEmail } : {}) }),
    );
  });
  const setRole = useAction(async (userId: string, role: TeamRole) => {
    await api.setMemberRole(teamId, userId, { role });
    team.reload({ silent: true });
  });
  const remove = useAction(async (userId: string) => {
    await api.removeMember(teamId, userId);
    team.reload({ silent: true });
  });
  const attach = useAction(async () => {
    await api.addChatWorkspace(teamId, {
      platform: platform as 'slack' | 'discord' | 'telegram',
      externalId: externalId.trim(),
    });
    setExternalId('');
    team.reload({ silent: true });
  });
  const detach = useAction(async (id: string) => {
    await api.removeChatWorkspace(teamId, id);
    team.reload({ silent: true });
  });

  if (team.loading && !team.data) return <Loading label="Loading the team…" />;
  if (!team.data) return <ErrorMessage error={team.error} title="Could not load the team" />;
  const t: TeamDetail = team.data;
  const manages = t.role === 'owner' || t.role === 'admin' || user?.role === 'admin';
  const membersState = { ...team, data: { items: t.members } };
  const workspacesState = { ...team, data: { items: t.chatWorkspaces } };

  return (
    <>
      <Card title={`Members of ${t.name}`}>
        {(setRole.error !== null || remove.error !== null) && (
          <ErrorMessage error={setRole.error ?? remove.error} title="The change was not made" />
        )}
        <AsyncTable
          state={membersState}
          loadingLabel="Loading members…"
          empty="No members."
          caption={`Members of ${t.name}`}
          rowKey={(m) => m.userId}
          columns={[
            { header: 'User', cell: (m) => m.username },
            {
              header: 'Role',
              cell: (m) =>
                manages ? (
                  <InlineSelect<TeamRole>
                    label={<span className="visually-hidden">Role of {m.username}</span>}
                    value={m.role}
                    onChange={(r) => void setRole.run(m.userId, r)}
                    options={ROLES}
                  />
                ) : (
                  humanize(m.role)
                ),
            },
            { header: 'Joined', cell: (m) => formatDateTime(m.joinedAt) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (m) =>
                manages || m.userId === user?.id ? (
                  <ConfirmButton
                    label={m.userId === user?.id ? 'Leave' : 'Remove'}
                    accessibleName={`Remove ${m.username}`}
                    question={m.userId === user?.id ? 'Leave this team?' : `Remove ${m.username}?`}
                    onConfirm={() => remove.run(m.userId)}
                  />
                ) : null,
            },
          ]}
        />
      </Card>
      {manages && (
        <Card title="Invite someone">
          <Form
            aria-label="Invite someone"
            state={actionState(createInvite)}
            errorTitle="No invite was created"
            submitLabel="Create invite link"
            pendingLabel="Creating…"
          >
            <div className="row">
              <InlineInput
                label="E-mail (optional)"
                type="email"
                value={inviteEmail}
                onChange={setInviteEmail}
              />
              <InlineSelect<TeamRole>
                label="Role"
                value={inviteRole}
                onChange={setInviteRole}
                options={ROLES}
              />
            </div>
          </Form>
          {invite && (
            <p>
              {invite.emailed ? 'Sent by e-mail. ' : ''}Single-use link, valid until{' '}
              {formatDateTime(invite.expiresAt)}: <code data-testid="invite-url">{invite.url}</code>{' '}
              <CopyButton text={invite.url} accessibleName="Copy invite link" />
            </p>
          )}
        </Card>
      )}
      <Card title="Chat workspaces">
        <p className="muted">
          Commands from an attached Slack workspace, Discord server or Telegram group create this team’s tasks
          and use its provider accounts first.
        </p>
        {detach.error !== null && <ErrorMessage error={detach.error} title="Could not detach it" />}
        <AsyncTable
          state={workspacesState}
          loadingLabel="Loading…"
          empty="No chat workspace is attached."
          caption="Chat workspaces"
          rowKey={(w) => w.id}
          columns={[
            { header: 'Platform', cell: (w) => humanize(w.platform) },
            { header: 'Id', cell: (w) => <code>{w.externalId}</code> },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (w) =>
                manages ? (
                  <ConfirmButton
                    label="Detach"
                    accessibleName={`Detach ${w.platform} ${w.externalId}`}
                    question="Detach this workspace?"
                    onConfirm={() => detach.run(w.id)}
                  />
                ) : null,
            },
          ]}
        />
        {manages && (
          <Form
            aria-label="Attach a chat workspace"
            state={actionState(attach)}
            errorTitle="Could not attach it"
            submitLabel="Attach"
            pendingLabel="Attaching…"
            submitClassName="btn"
            disabled={!externalId.trim()}
          >
            <div className="row">
              <InlineSelect label="Platform" value={platform} onChange={setPlatform} options={PLATFORMS} />
              <InlineInput label="Id" value={externalId} onChange={setExternalId} required maxLength={64} />
            </div>
          </Form>
        )}
      </Card>
    </>
  );
}
