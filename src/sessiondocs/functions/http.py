"""Exports of a session's documentation over HTTP: Markdown (images embedded), a Markdown ZIP
with images, HTML, PDF.

GET /http/export?sessionId=ID&format=md|zip|html|pdf

The caller is checked like any function's: a signed-in person who may read the session
(``Authorization: Bearer``), or the holder of one of its share links (``&share=TOKEN``).
Anyone else gets the same 404 as for a session without documentation.
"""

import asyncio
import re

from starlette.responses import JSONResponse, Response

from livebase import HttpRouter, http_action
from sessiondocs.functions.docs import documentation_from

http = HttpRouter()

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "zip": ("application/zip", "zip"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
}


def _filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.")[:60] or "documentation"
    return f"{stem}.{extension}"


@http_action
async def export(ctx, request):
    from sessiondocs.docgen import markdown_embedded, markdown_zip, to_html, to_pdf

    session_id = request.query_params.get("sessionId", "")
    fmt = request.query_params.get("format", "md")
    if fmt not in FORMATS:
        return JSONResponse(
            {"code": "bad_request", "message": "format must be one of md, zip, html, pdf"}, 400
        )
    args = {"sessionId": session_id}
    if request.query_params.get("share"):
        args["shareToken"] = request.query_params["share"]
    source = await ctx.run_query("docs:exportSource", args)
    if source is None:
        return JSONResponse(
            {"code": "not_found", "message": f"No documentation for session {session_id!r}"},
            404,
        )
    doc = documentation_from(source["doc"])
    images = {}
    for shot_id, file_id in source["files"].items():
        data = await ctx.storage.get(file_id)
        if data is not None:
            images[shot_id] = data
    write = {
        "md": lambda: markdown_embedded(doc, images).encode(),
        "zip": lambda: markdown_zip(doc, images),
        "html": lambda: to_html(doc, images).encode(),
        "pdf": lambda: to_pdf(doc, images),
    }[fmt]
    # why: drawing the highlights, encoding every image and laying out a PDF take seconds for
    # a long session; off the event loop, live queries and other requests go on meanwhile
    body = await asyncio.to_thread(write)
    media_type, extension = FORMATS[fmt]
    name = _filename(doc.title, extension)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


http.route(path="/export", method="GET", handler=export)
