import { useMutation, usePaginatedQuery, useQuery } from "convex/react";
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";

import { system, type Doc, type Filter, type FilterOp, type TableInfo } from "../api";
import {
  ConfirmButton,
  ErrorBoundary,
  ErrorNote,
  Loading,
  LoadMore,
  PageHeading,
  ScrollRegion,
} from "../components";
import {
  argsTemplate,
  errorText,
  number,
  parseJson,
  showShort,
  showStamp,
  showTime,
  toEditableJson,
  validatorFields,
} from "../format";
import { followLink, href } from "../router";

const PAGE_SIZE = 25;
const OPS: { op: FilterOp; label: string }[] = [
  { op: "eq", label: "= equals" },
  { op: "neq", label: "≠ not equal" },
  { op: "lt", label: "< less than" },
  { op: "lte", label: "≤ at most" },
  { op: "gt", label: "> greater than" },
  { op: "gte", label: "≥ at least" },
];
const OP_SIGN: Record<FilterOp, string> = {
  eq: "=",
  neq: "≠",
  lt: "<",
  lte: "≤",
  gt: ">",
  gte: "≥",
};

function showCount(table: TableInfo): string {
  return table.count >= table.countCapped
    ? `${number.format(table.countCapped)}+`
    : number.format(table.count);
}

export function DataPage({ table }: { table: string | null }) {
  const tables = useQuery(system.tables.list, {});
  const userTables = tables?.filter((t) => !t.system) ?? [];
  const systemTables = tables?.filter((t) => t.system) ?? [];
  const selected =
    tables?.find((t) => t.name === table) ?? (table === null ? userTables[0] : undefined);

  return (
    <section className="page">
      <PageHeading>Data</PageHeading>
      <div className="split">
        <section className="side card" aria-labelledby="tables-heading">
          <h2 id="tables-heading">Tables</h2>
          {tables === undefined ? (
            <Loading what="tables" />
          ) : (
            <>
              <TableLinks tables={userTables} current={selected?.name} />
              {userTables.length === 0 && <p className="muted">This app has no tables yet.</p>}
              <details className="system-tables" open={selected?.system || undefined}>
                <summary>System tables ({systemTables.length})</summary>
                <TableLinks tables={systemTables} current={selected?.name} />
              </details>
            </>
          )}
        </section>
        <div className="detail">
          {tables !== undefined && selected === undefined && table !== null && (
            <ErrorNote error={`There is no table named ${table}.`} />
          )}
          {selected && <TableView key={selected.name} table={selected} />}
        </div>
      </div>
    </section>
  );
}

function TableLinks({ tables, current }: { tables: TableInfo[]; current?: string }) {
  return (
    <ul className="table-links">
      {tables.map((t) => (
        <li key={t.name}>
          <a
            href={href("data", t.name)}
            onClick={followLink}
            aria-current={t.name === current ? "page" : undefined}
          >
            <span className="table-name">{t.name}</span>
            <span className="count">
              {showCount(t)}
              <span className="visually-hidden">{t.count === 1 ? " document" : " documents"}</span>
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

type Query = {
  order: "asc" | "desc";
  index: string;
  indexValues: unknown[];
  filters: Filter[];
};

function TableView({ table }: { table: TableInfo }) {
  const [query, setQuery] = useState<Query>({
    order: "desc",
    index: "",
    indexValues: [],
    filters: [],
  });
  const [notice, setNotice] = useState("");
  const [inserting, setInserting] = useState(false);
  const [editing, setEditing] = useState<Doc | null>(null);
  const writable = !table.system;
  const insert = useMutation(system.tables.insert);
  const replace = useMutation(system.tables.replace);
  const fields = validatorFields(table.document);

  return (
    <section className="card table-view" aria-labelledby="table-heading">
      <div className="row-between">
        <h2 id="table-heading">
          <code>{table.name}</code>
        </h2>
        <span className="muted">
          {showCount(table)} {table.count === 1 ? "document" : "documents"}
        </span>
      </div>
      {table.system && (
        <p className="muted">A system table: livebase writes it (cancel a job, delete a file).</p>
      )}
      <QueryControls table={table} fields={fields} query={query} onChange={setQuery} />
      <div className="toolbar">
        {writable && !inserting && (
          <button
            type="button"
            className="primary"
            onClick={() => {
              setNotice("");
              setEditing(null);
              setInserting(true);
            }}
          >
            Insert document
          </button>
        )}
        <p className="notice" role="status">
          {notice}
        </p>
      </div>
      {inserting && (
        <DocumentEditor
          key="insert"
          heading={`Insert a document into ${table.name}`}
          initial={argsTemplate(table.document)}
          submitLabel="Insert"
          onCancel={() => setInserting(false)}
          onSubmit={async (document) => {
            const id = await insert({ table: table.name, document });
            setInserting(false);
            setNotice(`Inserted document ${String(id)}.`);
          }}
        />
      )}
      {editing && (
        <DocumentEditor
          key={editing._id}
          heading={`Edit document ${editing._id}`}
          initial={toEditableJson(withoutSystemFields(editing))}
          submitLabel="Save"
          onCancel={() => setEditing(null)}
          onSubmit={async (document) => {
            await replace({ table: table.name, id: editing._id, document });
            setEditing(null);
            setNotice(`Saved document ${editing._id}.`);
          }}
        />
      )}
      <ErrorBoundary resetKey={JSON.stringify(query)}>
        <Documents
          table={table}
          fields={fields}
          query={query}
          onEdit={(doc) => {
            setInserting(false);
            setNotice("");
            setEditing(doc);
          }}
          onDeleted={(id) => setNotice(`Deleted document ${id}.`)}
        />
      </ErrorBoundary>
    </section>
  );
}

function withoutSystemFields(doc: Doc): Record<string, unknown> {
  const { _id, _creationTime, ...rest } = doc;
  void _id;
  void _creationTime;
  return rest;
}

function QueryControls({
  table,
  fields,
  query,
  onChange,
}: {
  table: TableInfo;
  fields: string[];
  query: Query;
  onChange: (query: Query) => void;
}) {
  const ids = useId();
  const [field, setField] = useState(fields[0] ?? "");
  const [op, setOp] = useState<FilterOp>("eq");
  const [valueText, setValueText] = useState("");
  const [filterError, setFilterError] = useState("");
  const index = table.indexes.find((i) => i.name === query.index);
  const [indexTexts, setIndexTexts] = useState<string[]>([]);
  const [indexError, setIndexError] = useState("");

  function addFilter(event: FormEvent) {
    event.preventDefault();
    if (!field.trim()) {
      setFilterError("Name the field to filter on.");
      return;
    }
    const parsed = parseJson(valueText, "The value");
    if (!parsed.ok) {
      setFilterError(`${parsed.error}. Strings go in double quotes: "text".`);
      return;
    }
    setFilterError("");
    onChange({
      ...query,
      filters: [...query.filters, { field: field.trim(), op, value: parsed.value }],
    });
    setValueText("");
  }

  function applyIndex(event: FormEvent) {
    event.preventDefault();
    const values: unknown[] = [];
    for (const [i, text] of indexTexts.entries()) {
      if (!text.trim()) break; // values name a prefix of the index's fields
      const parsed = parseJson(text, `The value of ${index?.fields[i] ?? "the field"}`);
      if (!parsed.ok) {
        setIndexError(parsed.error);
        return;
      }
      values.push(parsed.value);
    }
    setIndexError("");
    onChange({ ...query, indexValues: values });
  }

  return (
    <div className="query-controls">
      <div className="control-row">
        <div className="field">
          <label htmlFor={`${ids}-order`}>Order</label>
          <select
            id={`${ids}-order`}
            value={query.order}
            onChange={(e) => onChange({ ...query, order: e.target.value as "asc" | "desc" })}
          >
            <option value="desc">Newest first</option>
            <option value="asc">Oldest first</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-index`}>Index</label>
          <select
            id={`${ids}-index`}
            value={query.index}
            onChange={(e) => {
              setIndexTexts([]);
              setIndexError("");
              onChange({ ...query, index: e.target.value, indexValues: [] });
            }}
          >
            <option value="">None (all documents)</option>
            {table.indexes.map((i) => (
              <option key={i.name} value={i.name}>
                {i.name} ({i.fields.join(", ")})
              </option>
            ))}
          </select>
        </div>
      </div>
      {index && (
        <form
          className="control-row"
          onSubmit={applyIndex}
          aria-label={`Values of index ${index.name}`}
        >
          {index.fields.map((name, i) => (
            <div className="field" key={name}>
              <label htmlFor={`${ids}-ix-${i}`}>
                {name} <span className="muted">(JSON)</span>
              </label>
              <input
                id={`${ids}-ix-${i}`}
                className="mono"
                value={indexTexts[i] ?? ""}
                placeholder={'e.g. "value"'}
                onChange={(e) => {
                  const next = [...indexTexts];
                  next[i] = e.target.value;
                  setIndexTexts(next);
                }}
              />
            </div>
          ))}
          <button type="submit">Apply index values</button>
          <ErrorNote error={indexError} />
        </form>
      )}
      <form className="control-row" onSubmit={addFilter} aria-label="Add a filter">
        <div className="field">
          <label htmlFor={`${ids}-field`}>Filter field</label>
          <input
            id={`${ids}-field`}
            list={`${ids}-fields`}
            value={field}
            onChange={(e) => setField(e.target.value)}
          />
          <datalist id={`${ids}-fields`}>
            {["_id", "_creationTime", ...fields].map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-op`}>Operator</label>
          <select id={`${ids}-op`} value={op} onChange={(e) => setOp(e.target.value as FilterOp)}>
            {OPS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor={`${ids}-value`}>
            Value <span className="muted">(JSON)</span>
          </label>
          <input
            id={`${ids}-value`}
            className="mono"
            value={valueText}
            placeholder={'e.g. "text", 3, true'}
            onChange={(e) => setValueText(e.target.value)}
          />
        </div>
        <button type="submit">Add filter</button>
      </form>
      <ErrorNote error={filterError} />
      {(query.filters.length > 0 || query.indexValues.length > 0) && (
        <ul className="chips" aria-label="Filters in use">
          {query.indexValues.length > 0 && index && (
            <li className="chip">
              <span>
                index {index.name}:{" "}
                {query.indexValues.map((v, i) => `${index.fields[i]} = ${showShort(v)}`).join(", ")}
              </span>
              <button
                type="button"
                aria-label={`Clear the values of index ${index.name}`}
                onClick={() => {
                  setIndexTexts([]);
                  onChange({ ...query, indexValues: [] });
                }}
              >
                ×
              </button>
            </li>
          )}
          {query.filters.map((f, i) => {
            const text = `${f.field} ${OP_SIGN[f.op]} ${showShort(f.value)}`;
            return (
              <li className="chip" key={`${i}-${text}`}>
                <span>{text}</span>
                <button
                  type="button"
                  aria-label={`Remove filter ${text}`}
                  onClick={() =>
                    onChange({
                      ...query,
                      filters: query.filters.filter((_, j) => j !== i),
                    })
                  }
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

function DocumentEditor({
  heading,
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  heading: string;
  initial: string;
  submitLabel: string;
  onSubmit: (document: unknown) => Promise<void>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string>("");
  const [busy, setBusy] = useState(false);
  const ids = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    area.current?.focus();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseJson(text, "The document");
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    setError("");
    try {
      await onSubmit(parsed.value);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="editor" onSubmit={submit} aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>{heading}</h3>
      <label htmlFor={`${ids}-json`}>
        Document <span className="muted">(JSON, without _id and _creationTime)</span>
      </label>
      <textarea
        id={`${ids}-json`}
        ref={area}
        className="mono"
        rows={Math.min(16, Math.max(5, text.split("\n").length + 1))}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined}
      />
      <ErrorNote error={error} title="Not saved" />
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Documents({
  table,
  fields,
  query,
  onEdit,
  onDeleted,
}: {
  table: TableInfo;
  fields: string[];
  query: Query;
  onEdit: (doc: Doc) => void;
  onDeleted: (id: string) => void;
}) {
  const args = {
    table: table.name,
    order: query.order,
    ...(query.index ? { index: query.index, indexValues: query.indexValues } : {}),
    ...(query.filters.length ? { filters: query.filters } : {}),
  };
  const { results, status, loadMore } = usePaginatedQuery(system.tables.page, args, {
    initialNumItems: PAGE_SIZE,
  });
  const remove = useMutation(system.tables.delete);
  const columns = useMemo(() => {
    const seen = new Set(fields);
    const extra: string[] = [];
    for (const doc of results) {
      for (const key of Object.keys(doc)) {
        if (!key.startsWith("_") && !seen.has(key)) {
          seen.add(key);
          extra.push(key);
        }
      }
    }
    return [...fields, ...extra];
  }, [fields, results]);

  if (status === "LoadingFirstPage") return <Loading what="documents" />;
  const filtered = query.filters.length > 0 || query.indexValues.length > 0;
  if (results.length === 0) {
    return (
      <p className="empty">
        {filtered ? "No documents match." : `No documents in ${table.name} yet.`}
      </p>
    );
  }
  return (
    <>
      <ScrollRegion label={`Documents of ${table.name}`}>
        <table className="docs">
          <thead>
            <tr>
              {!table.system && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
              <th scope="col">_id</th>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col">_creationTime</th>
            </tr>
          </thead>
          <tbody>
            {results.map((doc) => (
              <tr key={doc._id}>
                {!table.system && (
                  <td className="actions">
                    <button
                      type="button"
                      aria-label={`Edit document ${doc._id}`}
                      onClick={() => onEdit(doc)}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      accessibleLabel={`Delete document ${doc._id}`}
                      question="Delete this document?"
                      confirmLabel="Delete"
                      onConfirm={async () => {
                        await remove({ table: table.name, ids: [doc._id] });
                        onDeleted(doc._id);
                      }}
                    />
                  </td>
                )}
                <td className="mono id">{doc._id}</td>
                {columns.map((c) => (
                  <td key={c} className={typeof doc[c] === "string" ? "" : "mono"}>
                    {c in doc ? (
                      <span className="cell">{showShort(doc[c])}</span>
                    ) : (
                      <>
                        <span className="muted" aria-hidden="true">
                          –
                        </span>
                        <span className="visually-hidden">not set</span>
                      </>
                    )}
                  </td>
                ))}
                <td className="nowrap" title={showTime(doc._creationTime)}>
                  {showStamp(doc._creationTime)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <LoadMore shown={results.length} status={status} loadMore={() => loadMore(PAGE_SIZE)} />
    </>
  );
}
