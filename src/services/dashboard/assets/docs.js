// Renders /openapi.json as a readable page: operations grouped by service, their parameters,
// bodies and answers, and the schemas they reference. No build step, no third-party code.

const METHOD_ORDER = ['get', 'put', 'post', 'delete'];

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = value;
    else element.setAttribute(name, String(value));
  }
  element.append(...children.filter((c) => c !== undefined && c !== null));
  return element;
}

/** Minimal inline Markdown: `code` only, as the descriptions use. */
function prose(text) {
  const out = h('p');
  text.split(/(`[^`]+`)/).forEach((part) => {
    out.append(part.startsWith('`') && part.endsWith('`') ? h('code', { text: part.slice(1, -1) }) : part);
  });
  return out;
}

const anchor = (text) =>
  text
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

function schemaView(schema) {
  if (!schema) return null;
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1);
    return h('a', { href: `#schema-${anchor(name)}`, text: name });
  }
  return h('pre', {}, h('code', { text: JSON.stringify(schema, null, 2) }));
}

function operationView(path, method, op) {
  const id = anchor(`${method} ${path}`);
  const section = h('section', { class: 'panel operation', id, 'aria-labelledby': `${id}-title` });
  section.append(
    h(
      'h3',
      { id: `${id}-title` },
      h('span', { class: `method method-${method}`, text: method.toUpperCase() }),
      ' ',
      h('code', { text: path }),
      op.security ? h('span', { class: 'admin', text: ' admin token' }) : null,
    ),
    h('p', { text: op.summary ?? '' }),
  );
  if (op.description) section.append(prose(op.description));
  if (op.parameters?.length) {
    const rows = op.parameters.map((p) =>
      h(
        'tr',
        {},
        h('td', {}, h('code', { text: p.name })),
        h('td', { text: p.in }),
        h('td', { text: p.required ? 'yes' : 'no' }),
        h('td', {}, p.description ?? '', ' ', h('code', { text: JSON.stringify(p.schema) })),
      ),
    );
    section.append(
      h('h4', { text: 'Parameters' }),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h('tr', {}, ...['Name', 'In', 'Required', 'Description'].map((t) => h('th', { scope: 'col', text: t }))),
          ),
          h('tbody', {}, ...rows),
        ),
      ),
    );
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) section.append(h('h4', { text: 'Body (application/json)' }), schemaView(body));
  const answers = Object.entries(op.responses ?? {}).map(([status, response]) => {
    const [type, media] = Object.entries(response.content ?? {})[0] ?? [];
    return h(
      'li',
      {},
      h('strong', { text: status }),
      ` ${response.description}`,
      type ? h('span', { class: 'meta', text: ` (${type}) ` }) : null,
      media?.schema ? schemaView(media.schema) : null,
    );
  });
  section.append(h('h4', { text: 'Answers' }), h('ul', { class: 'answers' }, ...answers));
  return section;
}

async function main() {
  const response = await fetch('/openapi.json');
  const doc = await response.json();
  document.title = `${doc.info.title} ${doc.info.version}`;
  const intro = document.getElementById('intro');
  intro.replaceChildren(
    h('p', {}, h('strong', { text: doc.info.title }), ` — version ${doc.info.version}, OpenAPI ${doc.openapi}.`),
    prose(doc.info.description ?? ''),
  );
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of METHOD_ORDER) {
      const op = methods[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const toc = document.getElementById('toc');
  const operations = document.getElementById('operations');
  for (const tag of doc.tags ?? []) {
    const ops = byTag.get(tag.name);
    if (!ops) continue;
    operations.append(
      h('h2', { class: 'tag-title', id: `tag-${anchor(tag.name)}`, text: tag.name }),
      prose(tag.description ?? ''),
    );
    const items = ops.map(([path, method]) =>
      h('li', {}, h('a', { href: `#${anchor(`${method} ${path}`)}` }, `${method.toUpperCase()} ${path}`)),
    );
    toc.append(h('li', {}, h('a', { href: `#tag-${anchor(tag.name)}`, text: tag.name }), h('ul', {}, ...items)));
    for (const [path, method, op] of ops) operations.append(operationView(path, method, op));
  }
  const schemas = document.getElementById('schemas');
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    schemas.append(
      h('h3', { id: `schema-${anchor(name)}`, text: name }),
      h('pre', {}, h('code', { text: JSON.stringify(schema, null, 2) })),
    );
  }
}

main().catch((error) => {
  document.getElementById('intro').textContent = `Could not load /openapi.json: ${error.message}`;
});
