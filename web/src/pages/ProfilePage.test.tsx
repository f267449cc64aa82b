import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import type { User } from '../api/types';
import { AuthProvider, useAuth } from '../auth/AuthContext';
import { ProfilePage } from './ProfilePage';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const me = (threshold: number | null) =>
  ({
    id: 'u1',
    username: 'alice',
    email: 'alice@example.com',
    role: 'user',
    status: 'active',
    isGuest: false,
    estimateConfirmThresholdMicros: threshold,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastLogin: null,
  }) as User;

/** The page as the app shows it: once the signed-in user is known. */
function Signedin() {
  const { user } = useAuth();
  return user ? <ProfilePage /> : null;
}

function setup(threshold: number | null) {
  vi.spyOn(api, 'hasSession').mockReturnValue(true);
  vi.spyOn(api, 'me').mockResolvedValue(me(threshold));
  vi.spyOn(api, 'identities').mockResolvedValue([]);
  vi.spyOn(api, 'ssoProviders').mockResolvedValue([]);
  const update = vi
    .spyOn(api, 'updateMe')
    .mockImplementation(async (input) => me(input.estimateConfirmThresholdMicros ?? null));
  render(
    <AuthProvider>
      <MemoryRouter>
        <Signedin />
      </MemoryRouter>
    </AuthProvider>,
  );
  return { update };
}

describe('<ProfilePage> confirm threshold', () => {
  it('shows the stored threshold in dollars and saves a new one as micro-dollars', async () => {
    const { update } = setup(20_000);
    const field = (await screen.findByLabelText(/Confirm tasks estimated above/)) as HTMLInputElement;
    expect(field.value).toBe('0.02');
    fireEvent.change(field, { target: { value: '0.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(update).toHaveBeenCalledWith({ estimateConfirmThresholdMicros: 500_000 }));
  });

  it('blank means the server default (null); a non-amount is refused before sending', async () => {
    const { update } = setup(20_000);
    const field = await screen.findByLabelText(/Confirm tasks estimated above/);
    fireEvent.change(field, { target: { value: 'lots' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText(/Enter an amount in dollars/)).toBeTruthy();
    expect(update).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(update).toHaveBeenCalledWith({ estimateConfirmThresholdMicros: null }));
  });
});
