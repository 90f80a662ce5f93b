/**
 * Generates TypeScript interfaces from the Avro schemas, so the types cannot drift from
 * schemas/: `npm run gen:types` writes src/codec/generated-types.ts and a unit test fails
 * when the committed file differs from what the schemas generate.
 *
 * Mapping (as @kafkajs/confluent-schema-registry decodes with avsc, no logical types):
 * long/int/float/double → number, timestamp-millis → number (ms since epoch), bytes → Buffer,
 * map → Record<string, T>, ["null", T] → T | null, enum → union of string literals.
 */
type AvroSchema = string | AvroSchema[] | { type: unknown; [k: string]: unknown };

interface Field {
  name: string;
  type: AvroSchema;
  doc?: string;
  default?: unknown;
}

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

export function renderTypes(schemas: { name: string; schema: unknown }[]): string {
  const out: string[] = ['// Generated from schemas/*.avsc by `npm run gen:types` (src/codec/avro-to-ts.ts). Do not edit.', ''];
  const emitted = new Set<string>();
  const render = (s: AvroSchema): string => {
    if (typeof s === 'string') return PRIMITIVES[s] ?? s;
    if (Array.isArray(s)) return s.map(render).join(' | ');
    const t = s.type;
    if (t === 'record') return emitRecord(s as never);
    if (t === 'enum') return emitEnum(s as never);
    if (t === 'array') return `${wrap(render(s.items as AvroSchema))}[]`;
    if (t === 'map') return `Record<string, ${render(s.values as AvroSchema)}>`;
    return render(t as AvroSchema);
  };
  const wrap = (t: string): string => (t.includes('|') ? `(${t})` : t);
  const docLines = (doc: string | undefined, indent: string): string[] => (doc ? [`${indent}/** ${doc.replace(/\*\//g, '* /')} */`] : []);
  const emitRecord = (r: { name: string; doc?: string; fields: Field[] }): string => {
    if (emitted.has(r.name)) return r.name;
    emitted.add(r.name);
    const body = r.fields.flatMap((f) => [...docLines(f.doc, '  '), `  ${f.name}: ${render(f.type)};`]);
    out.push(...docLines(r.doc, ''), `export interface ${r.name} {`, ...body, '}', '');
    return r.name;
  };
  const emitEnum = (e: { name: string; doc?: string; symbols: string[] }): string => {
    if (emitted.has(e.name)) return e.name;
    emitted.add(e.name);
    out.push(...docLines(e.doc, ''), `export type ${e.name} = ${e.symbols.map((x) => JSON.stringify(x)).join(' | ')};`, '');
    return e.name;
  };
  for (const { schema } of schemas) render(schema as AvroSchema);
  return out.join('\n');
}
