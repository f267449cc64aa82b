import type { ContentDetail } from '../../api/types';

/** A version choice: '' is the current version, otherwise an older version number. */
export type VersionChoice = number | '';

/** Picks the current version (the default) or an older one, newest first. */
export function VersionSelect({
  content,
  label,
  value,
  onChange,
}: {
  content: ContentDetail;
  label: string;
  value: VersionChoice;
  onChange: (v: VersionChoice) => void;
}) {
  const older = (content.versions ?? [])
    .map((v) => v.version)
    .filter((v) => v !== content.version)
    .sort((a, b) => b - a);
  return (
    <label className="inline-field">
      <span>{label}</span>
      <select
        className="input"
        value={value}
        onChange={(e) => onChange(e.target.value === '' ? '' : Number(e.target.value))}
      >
        <option value="">Current (v{content.version})</option>
        {older.map((v) => (
          <option key={v} value={v}>
            v{v}
          </option>
        ))}
      </select>
    </label>
  );
}
