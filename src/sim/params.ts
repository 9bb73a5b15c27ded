// Reading an RPC request's parameters the way ECS does: flat query keys, lists as `X.1 … X.N`,
// tags as `Tag.N.Key`/`Tag.N.Value`, numbers and booleans as text. Bad input becomes the documented
// MissingParameter / InvalidParameter answer.
import { invalid, missing } from './errors.ts';
import type { Query } from './signature.ts';

export class Params {
  readonly raw: Query;

  constructor(raw: Query) {
    this.raw = raw;
  }

  str(name: string): string | undefined {
    const value = this.raw[name];
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.str(name);
    if (value === undefined) throw missing(name);
    return value;
  }

  int(name: string, min: number, max: number): number | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    if (!/^-?\d+$/.test(text)) throw invalid(name, `${text} is not an integer`);
    const value = Number(text);
    if (value < min || value > max) throw invalid(name, `${value} is outside ${min} to ${max}`);
    return value;
  }

  bool(name: string): boolean | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false') throw invalid(name, `${text} is not true or false`);
    return text === 'true';
  }

  /** `X.1 … X.N` in index order. Indices must be 1 to `max`. */
  list(prefix: string, max: number): string[] {
    const items: [number, string][] = [];
    for (const [key, value] of Object.entries(this.raw)) {
      if (!key.startsWith(`${prefix}.`)) continue;
      const index = Number(key.slice(prefix.length + 1));
      if (!Number.isInteger(index) || index < 1) throw invalid(key, 'bad list index');
      if (index > max) throw invalid(prefix, `at most ${max} values`);
      if (value !== '') items.push([index, value]);
    }
    return items.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
  }

  /** `Tag.N.Key` / `Tag.N.Value`; a key without a value has value ''. */
  tags(): { key: string; value: string }[] {
    const byIndex = new Map<number, { key?: string; value?: string }>();
    for (const [key, value] of Object.entries(this.raw)) {
      const match = /^Tag\.(\d+)\.(Key|Value)$/.exec(key);
      if (!match) continue;
      const index = Number(match[1]);
      const entry = byIndex.get(index) ?? {};
      entry[match[2] === 'Key' ? 'key' : 'value'] = value;
      byIndex.set(index, entry);
    }
    return [...byIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, t]) => {
        if (!t.key) throw missing(`Tag.${index}.Key`);
        return { key: t.key, value: t.value ?? '' };
      });
  }

  /** A list given either as one `single` value or as `plural.N`, not both. */
  oneOrList(single: string, plural: string, max: number): string[] {
    const one = this.str(single);
    const many = this.list(plural, max);
    if (one !== undefined && many.length > 0) throw invalid(plural, `give either ${single} or ${plural}.N, not both`);
    return one !== undefined ? [one] : many;
  }
}
