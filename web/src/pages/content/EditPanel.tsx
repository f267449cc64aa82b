import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { fieldErrors, isApiError } from '../../api/errors';
import { CONTENT_STATUSES, type ContentDetail, type ContentStatus } from '../../api/types';
import { SelectField, TextAreaField, TextField } from '../../components/Field';
import { Form } from '../../components/Form';
import { Notice } from '../../components/Status';

export function EditPanel({ content, onSaved }: { content: ContentDetail; onSaved: () => void }) {
  const [title, setTitle] = useState(content.title);
  const [body, setBody] = useState(content.contentData);
  const [status, setStatus] = useState<ContentStatus>(content.status);
  /** The version these edits started from; sent as baseVersion so a concurrent change is caught. */
  const [baseVersion, setBaseVersion] = useState(content.version);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const dirty = title !== content.title || body !== content.contentData || status !== content.status;
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  // A newer version arrived (regeneration, restore) and nothing is being edited: follow it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow only when the server's content changes
  useEffect(() => {
    if (!dirtyRef.current || content.version === baseVersion) {
      setTitle(content.title);
      setBody(content.contentData);
      setStatus(content.status);
      setBaseVersion(content.version);
    }
  }, [content.version, content.title, content.contentData, content.status]);

  const conflict = isApiError(error) && error.status === 409;

  const save = async (base: number) => {
    setPending(true);
    setError(null);
    setSaved(null);
    try {
      const next = await api.updateContent(content.id, {
        title: title.trim() || content.title,
        contentData: body,
        status,
        baseVersion: base,
      });
      setBaseVersion(next.version);
      setSaved(next.version);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  /** Keep the draft, re-base it on the newest version, and save it as the next version. */
  const overwrite = async () => {
    try {
      const latest = await api.getContent(content.id);
      await save(latest.version);
    } catch (e) {
      setError(e);
    }
  };

  const discard = () => {
    setTitle(content.title);
    setBody(content.contentData);
    setStatus(content.status);
    setBaseVersion(content.version);
    setError(null);
    onSaved();
  };

  const errs = fieldErrors(error);
  return (
    <Form
      aria-label="Edit content"
      state={{ submit: () => save(baseVersion), error: conflict ? null : error, pending }}
      heading={
        conflict && (
          <div className="alert alert-warning" role="alert">
            <p className="alert-title">Someone else changed this content</p>
            <p>
              A newer version was saved while you were editing (you started from version {baseVersion}). Your
              edits are still here and have not been saved.
            </p>
            <div className="row">
              <button type="button" className="btn btn-sm" onClick={overwrite} disabled={pending}>
                Save my edits as the newest version
              </button>
              <button type="button" className="btn btn-sm btn-ghost" onClick={discard}>
                Discard my edits and load the latest
              </button>
            </div>
          </div>
        )
      }
      errorTitle="Not saved"
      notice={saved !== null && !dirty && <Notice>Saved as version {saved}.</Notice>}
      submitLabel="Save changes"
      disabled={!dirty}
      actions={
        <>
          {dirty && (
            <button type="button" className="btn btn-ghost" onClick={discard} disabled={pending}>
              Discard changes
            </button>
          )}
          <span className="muted small">Editing from version {baseVersion}</span>
        </>
      }
    >
      <div className="grid-2">
        <TextField label="Title" error={errs.title} name="title" value={title} onChange={setTitle} />
        <SelectField<ContentStatus>
          label="Status"
          error={errs.status}
          name="status"
          value={status}
          onChange={setStatus}
          options={CONTENT_STATUSES}
        />
      </div>
      <TextAreaField
        label="Body"
        hint="Markdown. Saving a changed body creates a new version."
        error={errs.contentData}
        mono
        name="contentData"
        rows={18}
        value={body}
        onChange={setBody}
      />
    </Form>
  );
}
