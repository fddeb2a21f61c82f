import { describe, expect, it } from 'vitest';
import { renderTemplate, TemplateError, templateMarkers } from '../../src/dockerfile/render.js';

describe('renderTemplate', () => {
  it('inserts inline values and block values', () => {
    const text = 'FROM {{ base }}\n{{setup}}\nRUN {{install}}\n';
    expect(renderTemplate('t', text, { base: 'node:22', setup: '# a\nRUN a', install: 'npm ci' })).toBe('FROM node:22\n# a\nRUN a\nRUN npm ci\n');
  });

  it('removes the line of an empty block and collapses the blank lines it leaves', () => {
    const text = 'FROM x\n\n{{setup}}\n\nCOPY . .\n';
    expect(renderTemplate('t', text, { setup: '' })).toBe('FROM x\n\nCOPY . .\n');
  });

  it('inserts values literally: no $& or $1 replacement patterns, no second expansion', () => {
    const out = renderTemplate('t', 'RUN {{cmd}}\nCMD {{json}}\n', { cmd: 'echo "$&" $1 $$ $`', json: '["{{x}}"]' });
    expect(out).toBe('RUN echo "$&" $1 $$ $`\nCMD ["{{x}}"]\n');
  });

  it('throws on a marker without a value, naming the template, line and marker', () => {
    expect(() => renderTemplate('node.Dockerfile', 'FROM x\nRUN {{install}}\n', {})).toThrow(/node\.Dockerfile: line 2: no value for \{\{install\}\}/);
  });

  it('throws on a value that no marker uses (a typo in a recipe)', () => {
    expect(() => renderTemplate('t', 'FROM {{base}}\n', { base: 'x', bsae: 'y' })).toThrow(/not have: bsae/);
  });

  it('throws on leftover or malformed markers', () => {
    expect(() => renderTemplate('t', 'FROM {{base}\n', { base: 'x' })).toThrow(TemplateError);
    expect(() => renderTemplate('t', 'FROM {{ Base }}\n', {})).toThrow(/line 1: malformed marker/);
    expect(() => renderTemplate('t', 'RUN echo }}\n', {})).toThrow(/malformed marker/);
  });

  it('refuses a multi-line or empty value for an inline marker', () => {
    expect(() => renderTemplate('t', 'RUN {{cmd}}\n', { cmd: 'a\nb' })).toThrow(/must be one non-empty line/);
    expect(() => renderTemplate('t', '# {{why}}\n', { why: '' })).toThrow(/must be one non-empty line/);
  });

  it('lists the markers a template uses', () => {
    expect(templateMarkers('t', 'FROM {{base}}\n{{setup}}\nRUN {{ install }} {{base}}\n')).toEqual(['base', 'install', 'setup']);
  });
});
