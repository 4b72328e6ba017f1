"""Exports of a session's documentation over HTTP: Markdown, a Markdown ZIP with images, HTML.

GET /http/export?sessionId=ID&format=md|zip|html

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
}


def _filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.")[:60] or "documentation"
    return f"{stem}.{extension}"


@http_action
async def export(ctx, request):
    from sessiondocs.docgen import markdown_zip, to_html, to_markdown

    session_id = request.query_params.get("sessionId", "")
    fmt = request.query_params.get("format", "md")
    if fmt not in FORMATS:
        return JSONResponse(
            {"code": "bad_request", "message": "format must be one of md, zip, html"}, 400
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
    if fmt == "md":
        body = to_markdown(doc).encode()
    else:
        images = {}
        for shot_id, file_id in source["files"].items():
            data = await ctx.storage.get(file_id)
            if data is not None:
                images[shot_id] = data
        # why: drawing the highlights and encoding every image takes seconds for a long
        # session; off the event loop, live queries and other requests go on meanwhile
        if fmt == "zip":
            body = await asyncio.to_thread(markdown_zip, doc, images)
        else:
            body = (await asyncio.to_thread(to_html, doc, images)).encode()
    media_type, extension = FORMATS[fmt]
    name = _filename(doc.title, extension)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


http.route(path="/export", method="GET", handler=export)
