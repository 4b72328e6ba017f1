import { useMutation, usePaginatedQuery } from "convex/react";
import { useState } from "react";

import { system } from "../api";
import {
  ConfirmButton,
  ErrorBoundary,
  Loading,
  LoadMore,
  PageHeading,
  ScrollRegion,
} from "../components";
import { number, showBytes, showStamp, showTime } from "../format";

const PAGE_SIZE = 25;

export function FilesPage() {
  return (
    <section className="page">
      <PageHeading>Files</PageHeading>
      <ErrorBoundary resetKey="files">
        <FileList />
      </ErrorBoundary>
    </section>
  );
}

function FileList() {
  const { results, status, loadMore } = usePaginatedQuery(
    system.files.list,
    {},
    { initialNumItems: PAGE_SIZE },
  );
  const remove = useMutation(system.files.delete);
  const [notice, setNotice] = useState("");

  if (status === "LoadingFirstPage") return <Loading what="files" />;
  return (
    <section className="card" aria-labelledby="files-heading">
      <div className="row-between">
        <h2 id="files-heading">Stored files</h2>
        <p className="notice" role="status">
          {notice}
        </p>
      </div>
      {results.length === 0 ? (
        <p className="empty">No files are stored.</p>
      ) : (
        <ScrollRegion label="Table of stored files">
          <table>
            <thead>
              <tr>
                <th scope="col">Storage ID</th>
                <th scope="col">Content type</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Uploaded</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {results.map((file) => (
                <tr key={file._id}>
                  <td className="mono id">{file._id}</td>
                  <td>{file.contentType ?? <span className="muted">unknown</span>}</td>
                  <td className="num nowrap" title={`${number.format(file.size)} bytes`}>
                    {showBytes(file.size)}
                  </td>
                  <td className="nowrap" title={showTime(file._creationTime)}>
                    {showStamp(file._creationTime)}
                  </td>
                  <td className="actions">
                    <a
                      className="button-link"
                      href={file.url}
                      download
                      aria-label={`Download file ${file._id}`}
                    >
                      Download
                    </a>
                    <ConfirmButton
                      label="Delete"
                      accessibleLabel={`Delete file ${file._id}`}
                      question="Delete this file?"
                      confirmLabel="Delete"
                      onConfirm={async () => {
                        await remove({ storageId: file._id });
                        setNotice(`Deleted file ${file._id}.`);
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <LoadMore shown={results.length} status={status} loadMore={() => loadMore(PAGE_SIZE)} />
    </section>
  );
}
