"""Step-by-step documentation from a session's screenshots and their OCR.

``generate`` writes the steps offline (deterministic, no network); a ``ProseEngine`` may rewrite
their wording with a language model (``prose_from_env``, ``rewrite_or_keep``); the exporters
write Markdown (images embedded), a Markdown ZIP with images, one self-contained HTML file
or a PDF.

Modules: ``model`` (Frame, Step, Documentation), ``diff`` (what changed between screenshots),
``screen`` (reading a screenshot's OCR), ``steps`` (the generator), ``export``, ``prose``,
``lines`` (OCR words into lines, shared with ``sessiondocs.redact``) and ``images``.
"""

from sessiondocs.docgen.diff import changed_region
from sessiondocs.docgen.export import (
    highlight,
    markdown_embedded,
    markdown_zip,
    to_html,
    to_markdown,
    to_pdf,
)
from sessiondocs.docgen.model import Documentation, Frame, InputEvent, Step
from sessiondocs.docgen.prose import (
    OfflineProse,
    OpenAIProse,
    ProseEngine,
    ProseError,
    prose_from_env,
    rewrite_or_keep,
)
from sessiondocs.docgen.steps import generate

__all__ = [
    "Documentation",
    "Frame",
    "InputEvent",
    "OfflineProse",
    "OpenAIProse",
    "ProseEngine",
    "ProseError",
    "Step",
    "changed_region",
    "generate",
    "highlight",
    "markdown_embedded",
    "markdown_zip",
    "prose_from_env",
    "rewrite_or_keep",
    "to_html",
    "to_markdown",
    "to_pdf",
]
