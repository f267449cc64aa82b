import type { ContentDetail } from '../../api/types';
import { InlineSelect } from '../../components/Field';

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
    <InlineSelect
      label={label}
      value={value}
      onChange={(v) => onChange(v === '' ? '' : Number(v))}
      emptyOption={`Current (v${content.version})`}
      options={older.map((v) => ({ value: v, label: `v${v}` }))}
    />
  );
}
