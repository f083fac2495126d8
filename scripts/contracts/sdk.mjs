/**
 * Reads facts out of the official Go SDK snapshot (huaweicloud-sdk-go-v3): per operation the method,
 * path and parameter locations (`<svc>_meta.go`), the request/response models with field names,
 * types, required-ness (no `omitempty`), enum values and the numeric/length ranges stated in the
 * field comments, and the region → host tables. It copies no code: it emits data (contracts/*.json).
 */
import { execFileSync } from 'node:child_process';

export class Sdk {
  constructor(gitDir) {
    this.gitDir = gitDir;
    this.commit = this.git(['rev-parse', 'HEAD']).trim();
    this.cache = new Map();
  }

  git(args, input) {
    return execFileSync('git', [`--git-dir=${this.gitDir}`, ...args], {
      encoding: 'utf8',
      input,
      maxBuffer: 512 * 1024 * 1024,
    });
  }

  show(path) {
    return this.git(['show', `HEAD:${path}`]);
  }

  /** Every model file of one service version, parsed into structs and enums. */
  models(dir) {
    const key = `${dir}/model`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const listing = this.git(['ls-tree', '-r', 'HEAD', `${key}/`]);
    const entries = listing
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta, path] = line.split('\t');
        return { oid: meta.split(' ')[2], path };
      });
    const batch = execFileSync('git', [`--git-dir=${this.gitDir}`, 'cat-file', '--batch'], {
      input: entries.map((e) => e.oid).join('\n'),
      maxBuffer: 512 * 1024 * 1024,
    });
    const structs = new Map();
    const enums = new Map();
    let at = 0;
    for (const entry of entries) {
      const headerEnd = batch.indexOf(0x0a, at);
      const size = Number(batch.subarray(at, headerEnd).toString('utf8').split(' ')[2]);
      const text = batch.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8');
      at = headerEnd + 1 + size + 1;
      parseModelFile(text, entry.path, structs, enums);
    }
    const parsed = { structs, enums };
    this.cache.set(key, parsed);
    return parsed;
  }

  /** `GenReqDefFor<Op>` blocks of a meta file. */
  meta(path) {
    const cached = this.cache.get(path);
    if (cached) return cached;
    const text = this.show(path);
    const ops = new Map();
    for (const block of text.split(/\nfunc GenReqDefFor/).slice(1)) {
      const name = /^(\w+)\(\)/.exec(block)[1];
      const method = /WithMethod\(http\.Method(\w+)\)/.exec(block)[1].toUpperCase();
      const path = /WithPath\("([^"]+)"\)/.exec(block)[1];
      const response = /WithResponse\(new\(model\.(\w+)\)\)/.exec(block)?.[1];
      const fields = [];
      const re =
        /With(Request|Response)Field\(def\.NewFieldDef\(\)\.\s*WithName\("(\w+)"\)\.(?:\s*WithJsonTag\("([^"]+)"\)\.)?(?:\s*WithKindName\("[^"]+"\)\.)?\s*WithLocationType\(def\.(\w+)\)/g;
      for (let m = re.exec(block); m; m = re.exec(block)) {
        fields.push({ side: m[1].toLowerCase(), goName: m[2], json: m[3], location: m[4].toLowerCase() });
      }
      ops.set(name, { method, path, response, fields });
    }
    this.cache.set(path, ops);
    return ops;
  }

  /** region id → base URL, from `region/region.go`. */
  regions(dir) {
    const text = this.show(`${dir}/region/region.go`);
    const out = {};
    const re = /region\.NewRegion\("([^"]+)",\s*"([^"]+)"/g;
    for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]] = m[2];
    return out;
  }
}

function parseModelFile(text, path, structs, enums) {
  const structRe = /\ntype (\w+) struct \{\n([\s\S]*?)\n\}/g;
  for (let m = structRe.exec(text); m; m = structRe.exec(text)) {
    const [, name, body] = m;
    if (/^\tvalue (string|int32|int64|int|float32|float64)$/m.test(body)) {
      const kind = /^\tvalue (\w+)$/m.exec(body)[1];
      const fn = new RegExp(`func Get${name}Enum\\(\\)[\\s\\S]*?\\n\\}`).exec(text);
      const values = [];
      const valueRe = /value:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/g;
      for (let v = valueRe.exec(fn?.[0] ?? ''); v; v = valueRe.exec(fn?.[0] ?? ''))
        values.push(JSON.parse(v[1]));
      enums.set(name, { kind: kind === 'string' ? 'string' : 'integer', values });
      continue;
    }
    if (name.endsWith('Enum')) continue;
    const fields = [];
    let comment = [];
    for (const line of body.split('\n')) {
      const trimmed = line.trim();
      if (trimmed.startsWith('//')) {
        comment.push(trimmed.replace(/^\/\/\s?/, ''));
        continue;
      }
      const f = /^(\w+)\s+(\S+)\s+`json:"([^"]*)"/.exec(trimmed);
      if (f) {
        const [jsonName, ...opts] = f[3].split(',');
        if (jsonName !== '-') {
          fields.push({
            goName: f[1],
            goType: f[2],
            json: jsonName,
            omitempty: opts.includes('omitempty'),
            comment: comment.join(' '),
          });
        }
      }
      comment = [];
    }
    structs.set(name, { fields, path });
  }
}

const SCALARS = {
  string: { type: 'string' },
  int32: { type: 'integer' },
  int64: { type: 'integer' },
  int: { type: 'integer' },
  float32: { type: 'number' },
  float64: { type: 'number' },
  bool: { type: 'boolean' },
  'interface{}': { type: 'any' },
  'sdktime.SdkTime': { type: 'string' },
  'time.Time': { type: 'string' },
  'json.RawMessage': { type: 'any' },
};

/** Ranges as the SDK comments state them ("取值范围：0~500", "最大值：400", "长度1~128个字符"…). */
export function rangesFromComment(comment, type) {
  const out = {};
  if (type === 'integer' || type === 'number') {
    const range = /范围[*\s]*[：:为]?[*\s]*(-?\d+)\s*[~～\-—–]\s*(-?\d+)/.exec(comment);
    if (range) {
      out.min = Number(range[1]);
      out.max = Number(range[2]);
    }
    const max = /最大值[为：:\s]*(\d+)/.exec(comment);
    if (max && out.max === undefined) out.max = Number(max[1]);
    const min = /最小值[为：:\s]*(-?\d+)/.exec(comment) ?? /大于等于\s*(-?\d+)/.exec(comment);
    if (min && out.min === undefined) out.min = Number(min[1]);
  }
  if (type === 'string') {
    const len = /长度(?:为|范围)?[：:\s]*(\d+)\s*[~～\-—–]\s*(\d+)\s*个?(?:unicode)?字符/.exec(comment);
    if (len) {
      out.minLength = Number(len[1]);
      out.maxLength = Number(len[2]);
    }
    // A string that carries a number (DMS sends limit/offset as strings).
    const numeric =
      /取值范围[*\s]*[：:为]?[*\s]*(-?\d+)\s*[~～\-—–]\s*(-?\d+)(?!\s*个?(?:unicode)?字符)/.exec(comment);
    if (numeric && !len && !comment.includes('字符')) {
      out.numericMin = Number(numeric[1]);
      out.numericMax = Number(numeric[2]);
    }
    const atLeast = /取值范围[*\s]*[：:为]?[*\s]*大于等于\s*(-?\d+)/.exec(comment);
    if (atLeast) out.numericMin = Number(atLeast[1]);
    const maxLen = /最大长度\s*(\d+)/.exec(comment);
    if (maxLen && out.maxLength === undefined) out.maxLength = Number(maxLen[1]);
  }
  if (type === 'array') {
    const items = /最多(?:包含|可添加|支持|添加)?\s*(\d+)\s*个/.exec(comment);
    if (items) out.maxItems = Number(items[1]);
  }
  return out;
}

/** A Go type expression → contract schema (recursing into model structs, depth-limited). */
export function schemaOf(models, goType, comment = '', depth = 0) {
  let t = goType.replace(/^\*/, '');
  if (t.startsWith('[]')) {
    const items = schemaOf(models, t.slice(2), '', depth);
    return { type: 'array', items, ...rangesFromComment(comment, 'array') };
  }
  if (t.startsWith('map[string]')) {
    return { type: 'map', values: schemaOf(models, t.slice('map[string]'.length), '', depth) };
  }
  t = t.replace(/^model\./, '');
  if (SCALARS[t]) return { ...SCALARS[t], ...rangesFromComment(comment, SCALARS[t].type) };
  const en = models.enums.get(t);
  if (en) return { type: en.kind, enum: en.values, ...rangesFromComment(comment, en.kind) };
  const struct = models.structs.get(t);
  if (!struct) return { type: 'any', goType: t };
  if (depth > 6) return { type: 'object', open: true };
  return structSchema(models, struct, depth + 1);
}

export function structSchema(models, struct, depth = 0) {
  const fields = {};
  for (const field of struct.fields) {
    const schema = schemaOf(models, field.goType, field.comment, depth);
    // A value field without omitempty is sent/returned always: the SDK marks it required.
    if (!field.omitempty && !field.goType.startsWith('*')) schema.required = true;
    fields[field.json] = schema;
  }
  return { type: 'object', fields };
}
