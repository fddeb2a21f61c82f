import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { messageError, readNdjson, type JsonMessage } from '../../src/engine/ndjson.js';

async function collect(chunks: (string | Buffer)[]): Promise<JsonMessage[]> {
  const out: JsonMessage[] = [];
  for await (const message of readNdjson(Readable.from(chunks, { objectMode: true }))) out.push(message);
  return out;
}

describe('readNdjson', () => {
  it('reassembles lines split across chunks anywhere, CRLF and blank lines included', async () => {
    const text = '{"stream":"Step 1/2 : FROM x"}\r\n\n{"stream":"\\n"}\n{"aux":{"ID":"sha256:ab"}}';
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(await collect([text.slice(0, cut), text.slice(cut)])).toEqual([
        { stream: 'Step 1/2 : FROM x' },
        { stream: '\n' },
        { aux: { ID: 'sha256:ab' } },
      ]);
    }
  });

  it('keeps multi-byte characters split between buffers intact', async () => {
    const bytes = Buffer.from('{"stream":"héllo ✓"}\n', 'utf8');
    const at = bytes.indexOf(0xe2) + 1;
    expect(await collect([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([{ stream: 'héllo ✓' }]);
  });

  it('fails on a line that is not a JSON object, naming the line', async () => {
    await expect(collect(['{"a":1}\n', 'oops\n'])).rejects.toThrow(/not JSON \(line 2\): oops/);
    await expect(collect(['[1]\n'])).rejects.toThrow(/not an object/);
  });
});

describe('messageError', () => {
  it('prefers errorDetail.message, falls back to error, and ignores normal lines', () => {
    expect(messageError({ errorDetail: { code: 3, message: 'detail' }, error: 'short' })).toBe('detail');
    expect(messageError({ error: 'only' })).toBe('only');
    expect(messageError({ stream: 'hi' })).toBeUndefined();
  });
});
