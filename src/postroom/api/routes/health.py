"""/healthz (the process answers) and /readyz (database, broker and storage reachable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from postroom.http.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness")
def readyz(c: ContainerDep) -> JSONResponse:
    """200 when the database, broker and storage answer; 503 with the failing checks otherwise."""
    checks = c.readiness()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )
