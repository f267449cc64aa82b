import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { Content, ContentDetail } from '../../api/types';
import { EditPanel } from './EditPanel';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const content: ContentDetail = {
  id: 'c1',
  taskId: 't1',
  userId: 'u1',
  teamId: null,
  title: 'Doc',
  contentType: 'markdown',
  contentData: 'old body',
  version: 2,
  status: 'draft',
  metadata: {},
  reviewState: 'draft',
  publishedVersion: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  versions: [],
};

describe('<EditPanel>', () => {
  it('saves with the base version it started from', async () => {
    const update = vi
      .spyOn(api, 'updateContent')
      .mockResolvedValue({ ...content, contentData: 'new body', version: 3 } as Content);
    const onSaved = vi.fn();
    render(<EditPanel content={content} onSaved={onSaved} />);
    fireEvent.change(screen.getByLabelText('Body'), { target: { value: 'new body' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(update).toHaveBeenCalledWith('c1', {
      title: 'Doc',
      contentData: 'new body',
      status: 'draft',
      baseVersion: 2,
    });
  });

  it('explains a 409 in plain words, keeps the edits, and can re-save on top of the latest', async () => {
    const update = vi
      .spyOn(api, 'updateContent')
      .mockRejectedValueOnce(
        new ApiError({ status: 409, code: 'conflict', message: 'baseVersion 2 is not current (3)' }),
      )
      .mockResolvedValueOnce({ ...content, contentData: 'mine', version: 4 } as Content);
    vi.spyOn(api, 'getContent').mockResolvedValue({ ...content, version: 3, contentData: 'theirs' });
    render(<EditPanel content={content} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Body'), { target: { value: 'mine' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Someone else changed this content');
    expect(alert.textContent).not.toContain('baseVersion');
    expect((screen.getByLabelText('Body') as HTMLTextAreaElement).value).toBe('mine');

    fireEvent.click(screen.getByRole('button', { name: 'Save my edits as the newest version' }));
    await waitFor(() => expect(update).toHaveBeenCalledTimes(2));
    expect(update.mock.calls[1][1]).toMatchObject({ contentData: 'mine', baseVersion: 3 });
  });
});
