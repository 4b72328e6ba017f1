import { useState, type FormEvent } from "react";

import type { AuditFilter } from "../types";

const TABLES = ["account", "card", "client", "disp", "district", "loan", "order", "trans"];

interface Props {
  emails: string[];
  onApply: (filter: AuditFilter) => void;
}

function toMs(local: string): number | undefined {
  return local ? new Date(local).getTime() : undefined;
}

/** Filter the audit log by words, user, table, time span, outcome and address. */
export function AuditFilters({ emails, onApply }: Props) {
  const [text, setText] = useState("");
  const [userEmail, setUserEmail] = useState("");
  const [table, setTable] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [deniedOnly, setDeniedOnly] = useState(false);
  const [ipAddress, setIpAddress] = useState("");
  const [outcome, setOutcome] = useState("");

  function apply(event: FormEvent) {
    event.preventDefault();
    const filter: AuditFilter = {};
    if (text.trim()) filter.text = text.trim();
    if (userEmail.trim()) filter.userEmail = userEmail.trim();
    if (table) filter.table = table;
    const from = toMs(since);
    const to = toMs(until);
    if (from !== undefined) filter.since = from;
    if (to !== undefined) filter.until = to;
    if (deniedOnly) filter.deniedOnly = true;
    if (ipAddress.trim()) filter.ipAddress = ipAddress.trim();
    if (outcome) filter.outcome = outcome;
    onApply(filter);
  }

  function clear() {
    setText("");
    setUserEmail("");
    setTable("");
    setSince("");
    setUntil("");
    setDeniedOnly(false);
    setIpAddress("");
    setOutcome("");
    onApply({});
  }

  return (
    <form className="filters card" onSubmit={apply} aria-label="Audit filters">
      <div className="field">
        <label htmlFor="audit-text">Words</label>
        <input
          id="audit-text"
          type="search"
          placeholder="in the question, SQL or reason"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="audit-user">User email</label>
        <input
          id="audit-user"
          type="email"
          list="audit-emails"
          value={userEmail}
          onChange={(e) => setUserEmail(e.target.value)}
        />
        <datalist id="audit-emails">
          {emails.map((email) => (
            <option key={email} value={email} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="audit-table">Table</label>
        <select id="audit-table" value={table} onChange={(e) => setTable(e.target.value)}>
          <option value="">Any table</option>
          {TABLES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="audit-since">From</label>
        <input
          id="audit-since"
          type="datetime-local"
          value={since}
          onChange={(e) => setSince(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="audit-until">Until</label>
        <input
          id="audit-until"
          type="datetime-local"
          value={until}
          onChange={(e) => setUntil(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="audit-outcome">Outcome</label>
        <select id="audit-outcome" value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          <option value="">Any outcome</option>
          <option value="answered">Answered</option>
          <option value="refused">Refused</option>
          <option value="not_understood">Not understood</option>
          <option value="asked_back">Asked back</option>
          <option value="failed">Failed</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="audit-ip">IP address</label>
        <input id="audit-ip" value={ipAddress} onChange={(e) => setIpAddress(e.target.value)} />
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={deniedOnly}
          onChange={(e) => setDeniedOnly(e.target.checked)}
        />
        Refused only
      </label>
      <div className="row">
        <button type="submit" className="primary small">
          Apply filters
        </button>
        <button type="button" className="small" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
