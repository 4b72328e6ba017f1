import { useMutation, useQuery } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useId, useState, type FormEvent } from "react";
import { api } from "../convex/_generated/api";
import { formatDateTime, isoTime } from "../format";
import { useRun } from "../useRun";
import { ConfirmButton } from "./ConfirmButton";
import { CopyField } from "./CopyField";
import { ErrorNote } from "./ErrorNote";
import { PageHeading } from "./PageHeading";

/** A device token that still works, as the list shows it (devices:listDevices). */
type Device = FunctionReturnType<typeof api.devices.listDevices>[number];

/** A token just made: shown once, with the device's name. */
interface NewDevice {
  name: string;
  token: string;
}

/** The commands that set up the capture agent on a PC: `login` asks for the device token (so
 * it stays out of the shell's history), then the agent runs with it. */
export function agentCommands(): string {
  const url = window.location.origin;
  return [
    `python -m sessiondocs agent login --url ${url}`,
    `python -m sessiondocs agent --url ${url}`,
  ].join("\n");
}

/**
 * The signed-in person's capture devices: a token for the agent on each PC (shown once, with
 * the commands that use it), listed and revocable.
 */
export function DevicesPage() {
  const devices = useQuery(api.devices.listDevices, {});
  return (
    <>
      <PageHeading>Devices</PageHeading>
      <p className="intro">
        The capture agent on a PC records sessions as you with a device token. A token can only
        start sessions and upload their screenshots; revoke it when the PC is no longer used.
      </p>
      <NewDeviceForm />
      <section aria-labelledby="devices-heading" aria-busy={devices === undefined}>
        <h2 id="devices-heading" className="section-title">
          Your devices
        </h2>
        {devices === undefined ? (
          <p className="hint">Loading devices…</p>
        ) : devices.length === 0 ? (
          <p className="empty">No devices yet.</p>
        ) : (
          <ul className="plain-list">
            {devices.map((device) => (
              <DeviceRow key={device._id} device={device} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function NewDeviceForm() {
  const [name, setName] = useState("");
  const [created, setCreated] = useState<NewDevice | null>(null);
  const create = useRun(useMutation(api.devices.createDevice));
  const id = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = await create.run({ name: name.trim() });
    if (result.ok) {
      setCreated({ name: name.trim(), token: result.value.token });
      setName("");
    }
  }

  return (
    <div className="new-device panel">
      <form className="fields" onSubmit={submit} aria-labelledby="new-device-heading">
        <h2 id="new-device-heading" className="fields-title">
          Add a device
        </h2>
        <div className="field">
          <label htmlFor={id}>Device name</label>
          <input
            id={id}
            value={name}
            required
            maxLength={200}
            placeholder="e.g. Reception PC"
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={create.busy || !name.trim()}>
          Create token
        </button>
      </form>
      <ErrorNote error={create.error} />
      {created && <NewToken created={created} onDone={() => setCreated(null)} />}
    </div>
  );
}

function NewToken({ created, onDone }: { created: NewDevice; onDone: () => void }) {
  return (
    <div className="one-time">
      <p>
        <strong>The token of {created.name}</strong> is shown only now: copy it to that PC. Anyone
        with it can upload sessions as you until you revoke it.
      </p>
      <CopyField label="Device token" copyLabel="Copy the device token" value={created.token} />
      <CopyField
        label="On that PC, run (login asks for the token)"
        copyLabel="Copy the commands"
        value={agentCommands()}
        multiline
      />
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

function DeviceRow({ device }: { device: Device }) {
  const revoke = useRun(useMutation(api.devices.revokeDevice));
  return (
    <li className="list-row panel" data-device={device.name}>
      <span className="list-main">
        <strong>{device.name}</strong>
        <span className="meta">
          <span>
            Added{" "}
            <time dateTime={isoTime(device.createdAt)}>{formatDateTime(device.createdAt)}</time>
          </span>
          <span>
            {device.lastUsedAt ? (
              <>
                Last used{" "}
                <time dateTime={isoTime(device.lastUsedAt)}>
                  {formatDateTime(device.lastUsedAt)}
                </time>
              </>
            ) : (
              "Not used yet"
            )}
          </span>
        </span>
      </span>
      <ConfirmButton
        className="danger"
        question={`Revoke the token of “${device.name}”? Its agent can no longer upload.`}
        confirmLabel="Revoke token"
        disabled={revoke.busy}
        aria-label={`Revoke ${device.name}`}
        onConfirm={() => revoke.run({ deviceId: device._id })}
      >
        Revoke
      </ConfirmButton>
      <ErrorNote error={revoke.error} />
    </li>
  );
}
