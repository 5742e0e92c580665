import React, { useEffect, useMemo, useState } from 'react';
import { FormGroup, FormMessage, Label, SelectAsync } from '@adminjs/design-system';
import { ApiClient, flat, useTranslation, type EditPropertyProps, type RecordJSON } from 'adminjs';

type Option = { value: string; label: string };

// Multi-select editor for the virtual Tier.sizeIds property (many-to-many Tier <-> Size).
// Reads current ids from record.params (sizeIds.0, sizeIds.1, ...) and labels from record.populated,
// both filled by the backend `after` hook; writes back an array with onChange('sizeIds', [...ids]).
const SizeMultiSelect: React.FC<EditPropertyProps> = ({ property, record, onChange }) => {
  const api = useMemo(() => new ApiClient(), []);
  const { translateProperty } = useTranslation();
  const resourceId = property.reference ?? 'Size';

  const initial: Option[] = useMemo(() => {
    const ids = (flat.get(record?.params ?? {}, property.path) as unknown[] | undefined) ?? [];
    return (Array.isArray(ids) ? ids : [])
      .filter((id) => id !== null && id !== undefined && id !== '')
      .map((id, i) => {
        const populated = record?.populated?.[`${property.path}.${i}`] as RecordJSON | undefined;
        return { value: String(id), label: populated?.title ?? String(id) };
      });
    // recomputed per record only: while editing, `selected` is the source of truth
  }, [record?.id]);
  const [selected, setSelected] = useState<Option[]>(initial);
  useEffect(() => setSelected(initial), [initial]);

  const loadOptions = async (input: string): Promise<Option[]> => {
    const records = await api.searchRecords({ resourceId, query: input });
    return records.map((r: RecordJSON) => ({ value: String(r.id), label: r.title }));
  };

  const handleChange = (value: unknown) => {
    const next = Array.isArray(value) ? [...(value as Option[])] : [];
    setSelected(next);
    onChange(
      property.path,
      next.map((o) => o.value),
    );
  };

  const error = record?.errors?.[property.path];
  return (
    <FormGroup error={Boolean(error)} data-testid="size-multiselect">
      <Label htmlFor={property.path}>{translateProperty(property.label, property.resourceId)}</Label>
      <SelectAsync
        inputId={property.path}
        classNamePrefix="size-select"
        isMulti
        cacheOptions
        defaultOptions
        loadOptions={loadOptions}
        value={selected}
        onChange={handleChange}
        isDisabled={property.isDisabled}
      />
      <FormMessage>{error?.message}</FormMessage>
    </FormGroup>
  );
};

export default SizeMultiSelect;
