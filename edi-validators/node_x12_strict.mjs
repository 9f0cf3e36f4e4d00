// node-x12 (npm) in strict mode on the outbound 204, 214 and 940 interchanges consign-edi
// writes: each must parse without a diagnostic into the expected number of transaction sets
// and segments, with the segment ids in file order, and serialise back to the same bytes.
//
// Usage: X12_OUT_DIR=DIR node --test node_x12_strict.mjs
// DIR is what `cargo run -p consign-edi --example write_samples -- DIR` wrote: out_*.x12 and
// out_manifest.tsv (file, set id, GS08, transaction sets, segments).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { X12Parser } from 'node-x12';

const dir = process.env.X12_OUT_DIR;
if (!dir) {
  throw new Error('set X12_OUT_DIR to the folder the write_samples example wrote');
}

const FUNCTIONAL_ID = { 204: 'SM', 214: 'QM', 940: 'OW' };

const manifest = readFileSync(join(dir, 'out_manifest.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [file, set, version, sets, segments] = line.split('\t');
    return { file, set, version, sets: Number(sets), segments: Number(segments) };
  });

const outFiles = readdirSync(dir)
  .filter((f) => /^out_(204|214|940)_\d+\.x12$/.test(f))
  .sort();

/** The delimiters an interchange declares in its fixed-width ISA. */
function delimiters(text) {
  return { element: text.charAt(3), segment: text.charAt(105) };
}

/** Segment ids of the raw text, in order, split on its own delimiters. */
function rawSegmentIds(text) {
  const d = delimiters(text);
  return text
    .split(d.segment)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => s.split(d.element)[0]);
}

/** Segment ids as node-x12 modelled them, in order. */
function parsedSegmentIds(interchange) {
  const ids = [interchange.header.tag];
  for (const group of interchange.functionalGroups) {
    ids.push(group.header.tag);
    for (const t of group.transactions) {
      ids.push(t.header.tag, ...t.segments.map((s) => s.tag), t.trailer.tag);
    }
    ids.push(group.trailer.tag);
  }
  ids.push(interchange.trailer.tag);
  return ids;
}

test('the manifest lists exactly the outbound files', () => {
  assert.ok(outFiles.length > 0, `no out_*.x12 files in ${dir}`);
  assert.deepEqual(manifest.map((r) => r.file).sort(), outFiles);
  for (const set of ['204', '214', '940']) {
    for (const version of ['004010', '005010']) {
      assert.ok(
        manifest.some((r) => r.set === set && r.version === version),
        `no ${set} in ${version}`,
      );
    }
  }
});

for (const row of manifest) {
  test(`${row.file}: strict parse, ${row.sets} ${row.set} set(s), ${row.segments} segments`, () => {
    const text = readFileSync(join(dir, row.file), 'utf8');
    const parser = new X12Parser(true);
    const interchange = parser.parse(text);
    assert.deepEqual(parser.diagnostics, []);
    assert.equal(interchange.constructor.name, 'X12Interchange', 'one interchange');
    assert.equal(interchange.functionalGroups.length, 1);
    const group = interchange.functionalGroups[0];
    assert.equal(group.header.valueOf(1), FUNCTIONAL_ID[row.set]);
    assert.equal(group.header.valueOf(8), row.version);
    assert.equal(interchange.header.valueOf(12), row.version.slice(0, 5));
    assert.equal(group.transactions.length, row.sets);
    for (const t of group.transactions) {
      assert.equal(t.header.valueOf(1), row.set);
      assert.equal(Number(t.trailer.valueOf(1)), t.segments.length + 2);
    }
    const ids = parsedSegmentIds(interchange);
    assert.equal(ids.length, row.segments);
    assert.deepEqual(ids, rawSegmentIds(text));
    // Serialised with the delimiters it detected, the interchange is the file again (a file
    // with line breaks ends with one that node-x12 does not repeat after the IEA).
    assert.equal(interchange.toString(), text.replace(/\r?\n$/, ''));
  });
}

test('canary: strict mode rejects an SE01 that is off by one', () => {
  const row = manifest[0];
  const text = readFileSync(join(dir, row.file), 'utf8');
  const d = delimiters(text);
  const se = new RegExp(`(^|[${d.segment}\\n])SE\\${d.element}(\\d+)\\${d.element}`);
  const match = text.match(se);
  assert.ok(match, `no SE in ${row.file}`);
  const broken = text.replace(se, `$1SE${d.element}${Number(match[2]) + 1}${d.element}`);
  assert.notEqual(broken, text);
  assert.throws(() => new X12Parser(true).parse(broken), /SE01/);
});
