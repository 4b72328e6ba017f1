import { useQuery } from "convex/react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { runFunction, system, type FunctionInfo, type RunResult } from "../api";
import { ErrorNote, Loading, PageHeading } from "../components";
import {
  argsTemplate,
  errorText,
  fromWireJson,
  parseJson,
  showValidator,
  showValue,
} from "../format";

const DEFAULT_CLAIMS = '{\n  "subject": "user1",\n  "email": "user1@example.com"\n}';

export function FunctionsPage({ adminKey }: { adminKey: string }) {
  const functions = useQuery(system.functions.list, {});
  const [search, setSearch] = useState("");
  const searchId = useId();

  const shown = (functions ?? []).filter((fn) =>
    fn.path.toLowerCase().includes(search.trim().toLowerCase()),
  );
  const modules = new Map<string, FunctionInfo[]>();
  for (const fn of shown) {
    const module = fn.path.split(":")[0];
    modules.set(module, [...(modules.get(module) ?? []), fn]);
  }

  return (
    <section className="page">
      <PageHeading>Functions</PageHeading>
      <div className="toolbar">
        <div className="field grow">
          <label htmlFor={searchId}>Find a function</label>
          <input
            id={searchId}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        {functions && (
          <p className="muted" role="status">
            {shown.length} of {functions.length} functions
          </p>
        )}
      </div>
      {functions === undefined && <Loading what="functions" />}
      {functions !== undefined && shown.length === 0 && (
        <p className="empty">No function matches “{search}”.</p>
      )}
      {[...modules.entries()].map(([module, fns]) => (
        <section key={module} className="module" aria-labelledby={`module-${module}`}>
          <h2 id={`module-${module}`}>
            <code>{module}</code>
          </h2>
          <ul className="fn-list">
            {fns.map((fn) => (
              <FunctionCard key={fn.path} fn={fn} adminKey={adminKey} />
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

function FunctionCard({ fn, adminKey }: { fn: FunctionInfo; adminKey: string }) {
  const [open, setOpen] = useState(false);
  const runnable = fn.kind === "query" || fn.kind === "mutation" || fn.kind === "action";
  const ids = useId();
  return (
    <li className="card fn" aria-labelledby={`${ids}-name`}>
      <div className="row-between">
        <h3 id={`${ids}-name`} className="fn-path">
          <code>{fn.path}</code>
        </h3>
        <span className="badges">
          <span className={`badge kind-${fn.kind}`}>{fn.kind}</span>
          <span className={`badge ${fn.visibility === "internal" ? "internal" : "public"}`}>
            {fn.visibility}
          </span>
        </span>
      </div>
      <dl className="validators">
        <dt>Args</dt>
        <dd>
          <code>{showValidator(fn.args)}</code>
        </dd>
        <dt>Returns</dt>
        <dd>
          <code>{showValidator(fn.returns)}</code>
        </dd>
      </dl>
      {runnable && (
        <button
          type="button"
          aria-expanded={open}
          aria-controls={open ? `${ids}-runner` : undefined}
          aria-label={`${open ? "Close" : "Run"} ${fn.path}`}
          onClick={() => setOpen(!open)}
        >
          {open ? "Close" : "Run…"}
        </button>
      )}
      {open && <Runner id={`${ids}-runner`} fn={fn} adminKey={adminKey} />}
    </li>
  );
}

type Outcome = { result: RunResult; ms: number; asUser: string | null };

function Runner({ id, fn, adminKey }: { id: string; fn: FunctionInfo; adminKey: string }) {
  const [argsText, setArgsText] = useState(() => argsTemplate(fn.args));
  const [asUser, setAsUser] = useState(false);
  const [claimsText, setClaimsText] = useState(DEFAULT_CLAIMS);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const ids = useId();

  useEffect(() => {
    area.current?.focus();
  }, []);

  async function run(event: FormEvent) {
    event.preventDefault();
    const args = parseJson(argsText, "The arguments");
    if (!args.ok) {
      setError(args.error);
      return;
    }
    let claims: object | undefined;
    if (asUser) {
      const parsed = parseJson(claimsText, "The user's identity");
      if (!parsed.ok) {
        setError(parsed.error);
        return;
      }
      if (!parsed.value || typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
        setError('The user\'s identity must be a JSON object of claims, like {"subject": "user1"}');
        return;
      }
      claims = parsed.value as object;
    }
    setError("");
    setBusy(true);
    const started = performance.now();
    try {
      // the HTTP API takes Convex's JSON form, which is what was typed
      const result = await runFunction(adminKey, fn.path, JSON.parse(argsText), claims);
      const subject = claims ? String((claims as { subject?: unknown }).subject ?? "a user") : null;
      setOutcome({ result, ms: performance.now() - started, asUser: subject });
    } catch (failure) {
      setOutcome(null);
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id={id} className="runner" onSubmit={run}>
      <label htmlFor={`${ids}-args`}>
        Arguments <span className="muted">(JSON)</span>
      </label>
      <textarea
        id={`${ids}-args`}
        ref={area}
        className="mono"
        rows={Math.min(12, Math.max(3, argsText.split("\n").length + 1))}
        spellCheck={false}
        value={argsText}
        onChange={(e) => setArgsText(e.target.value)}
      />
      <fieldset className="run-as">
        <legend>Run as</legend>
        <label className="inline">
          <input
            type="radio"
            name={`${ids}-as`}
            checked={!asUser}
            onChange={() => setAsUser(false)}
          />
          Admin
        </label>
        <label className="inline">
          <input
            type="radio"
            name={`${ids}-as`}
            checked={asUser}
            onChange={() => setAsUser(true)}
          />
          A user
        </label>
      </fieldset>
      {asUser && (
        <>
          <label htmlFor={`${ids}-claims`}>
            User identity <span className="muted">(JSON claims, with a subject)</span>
          </label>
          <textarea
            id={`${ids}-claims`}
            className="mono"
            rows={4}
            spellCheck={false}
            value={claimsText}
            onChange={(e) => setClaimsText(e.target.value)}
          />
        </>
      )}
      <ErrorNote error={error} title="Not run" />
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Running…" : `Run ${fn.kind}`}
        </button>
      </div>
      {outcome && <Outcome outcome={outcome} />}
    </form>
  );
}

function Outcome({ outcome }: { outcome: Outcome }) {
  const { result, ms, asUser } = outcome;
  const ok = result.status === "success";
  return (
    <section className={`outcome ${ok ? "ok" : "failed"}`} aria-label="Result" role="status">
      <p className="outcome-line">
        <span className={`badge ${ok ? "success" : "failure"}`}>{ok ? "Success" : "Error"}</span>
        <span className="muted">
          {Math.round(ms)} ms, as {asUser === null ? "admin" : `user ${asUser}`}
        </span>
      </p>
      {result.status === "success" ? (
        <pre className="value">{showValue(fromWireJson(result.value), 2)}</pre>
      ) : (
        <>
          <pre className="value error-text">{result.errorMessage}</pre>
          {result.errorData !== undefined && (
            <pre className="value" aria-label="Error data">
              {showValue(fromWireJson(result.errorData), 2)}
            </pre>
          )}
        </>
      )}
      <h4>Log lines</h4>
      {result.logLines.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <pre className="log-lines">{result.logLines.join("\n")}</pre>
      )}
    </section>
  );
}
