"""/ekopost: Ekopost's REST API (seed 004) translated onto the core's batches and pieces.

Translation only: each route reads Ekopost's request, calls a core service and writes
Ekopost's answer. Every failure is Ekopost's error object (errors.translate, run by the
route class the router is built with). The routes live in routes/, one module per resource;
this router joins them and answers, last, the paths none of them has. Mounted at /ekopost
by its descriptor."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from postroom.dialects.ekopost.errors import error_response
from postroom.dialects.ekopost.mapping import EkopostCode
from postroom.dialects.ekopost.routes import campaigns, content, edi, envelopes, reachable, sms
from postroom.dialects.ekopost.routes.common import ROUTE_CLASS

# The modules' routes as they are (their tag and answers; one route class), in one list:
# the fallback below looks a path up among them.
router = APIRouter(route_class=ROUTE_CLASS)
for _module in (campaigns, envelopes, content, reachable, sms, edi):
    router.routes.extend(_module.router.routes)

# --- paths that do not exist ----------------------------------------------------------------

# Every method a client may send; the fallback below answers each of them.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _same_path_routes(path: str) -> list[APIRoute]:
    """The dialect's real routes (paths as the router writes them, without the mount) whose
    pattern matches `path`, whatever their method."""
    return [
        route
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.name != "unknown_path"
        and route.path_regex.match(path)
    ]


@router.api_route("/{path:path}", methods=ALL_METHODS, include_in_schema=False)
def unknown_path(path: str, request: Request) -> Response:
    """Anything under /ekopost/ that no route answers, in Ekopost's error object: a path the
    dialect has with another method is 405 (with Allow), a path it has with or without a
    trailing slash a 307 to it (as the app does elsewhere), any other 404. Defined last:
    the router tries it after every real route."""
    routes = _same_path_routes(f"/{path}")
    if routes:
        allowed = sorted({m for route in routes for m in route.methods or ()})
        response = error_response(
            405, EkopostCode.INVALID_DATA, f"{request.method} is not allowed here"
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    other = f"/{path[:-1]}" if path.endswith("/") else f"/{path}/"
    if path and _same_path_routes(other):
        here = request.url.path
        moved = here[:-1] if here.endswith("/") else f"{here}/"
        return RedirectResponse(str(request.url.replace(path=moved)), status_code=307)
    return error_response(404, EkopostCode.INVALID_DATA, f"no such path: {request.url.path}")
