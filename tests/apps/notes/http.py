"""HTTP actions of the notes app: the routes of Convex's js-integration-tests ``http.ts`` that
tests/e2e/test_convex_conformance_calls.py uses (handlers in conformance_calls.py)."""

from livebase import HttpRouter

from .conformance_calls import delete_image, get_image, get_image_metadata, send_image

http = HttpRouter()

http.route(path="/sendImage", method="POST", handler=send_image)
http.route(path="/deleteImage", method="POST", handler=delete_image)
http.route(path="/getImage", method="GET", handler=get_image)
http.route(path="/getMetadata", method="GET", handler=get_image_metadata)
