"""The ASGI application: REST API (HubSpot-compatible CRM part plus Revline's own)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from revline import __version__
from revline.analytics.endpoints import router as analytics_router
from revline.api import PathQuirksMiddleware, install_error_handlers
from revline.config import Settings
from revline.crm.associations.endpoints import router as associations_router
from revline.crm.deals.endpoints import router as deals_router
from revline.crm.duplicates.endpoints import router as duplicates_router
from revline.crm.lifecycle.endpoints import router as lifecycle_router
from revline.crm.money.endpoints import router as money_router
from revline.crm.owners.endpoints import router as owners_router
from revline.crm.pipelines.endpoints import router as pipelines_router
from revline.crm.properties.endpoints import router as properties_router
from revline.crm.records.batch_endpoints import router as batch_router
from revline.crm.records.endpoints import router as records_router
from revline.crm.records.merge_endpoints import router as merge_router
from revline.crm.records.search_endpoints import router as search_router
from revline.crm.routing.endpoints import router as routing_router
from revline.events.endpoints import router as events_router
from revline.forecasting.endpoints import router as forecasting_router
from revline.kit.db import Database
from revline.lifecycle.endpoints import router as conversion_router
from revline.logging import log_event
from revline.scoring.backtest_endpoints import router as backtest_router
from revline.scoring.endpoints import router as scoring_router
from revline.scoring.predictive_endpoints import router as predictive_router
from revline.segments.endpoints import router as segments_router
from revline.setup import is_current, upgrade_database
from revline.worker.runner import start_in_thread

logger = logging.getLogger("revline.app")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    db = db or Database(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    if settings.auto_migrate:
        upgrade_database(db)
    elif not is_current(db):
        raise SystemExit("The database schema is not current; run `revline db upgrade` first.")
    log_event(logger, "app.ready", database=db.engine.url.render_as_string(hide_password=True))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The embedded engine needs no other process: `revline serve` runs the jobs itself.
        if not settings.worker_in_process:
            yield
            return
        thread, stop = start_in_thread(
            db,
            settings.worker_poll_seconds,
            lease=timedelta(seconds=settings.worker_lease_seconds),
        )
        try:
            yield
        finally:
            stop.set()
            # The job in hand may finish; one that does not is claimed again after its lease.
            await asyncio.to_thread(thread.join, 30)
            if thread.is_alive():
                log_event(logger, "worker.stop_timeout", logging.WARNING)

    app = FastAPI(
        lifespan=lifespan,
        title="Revline",
        version=__version__,
        description="Self-hosted CRM. The /crm/v3 and /crm/v4 paths follow HubSpot's public "
        "CRM API; /revline/v1 holds Revline's own endpoints.",
        redirect_slashes=False,
        # HubSpot clients do send JSON without a Content-Type now and then; parse it anyway.
        strict_content_type=False,
    )
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    for router in (
        search_router,
        batch_router,
        records_router,
        properties_router,
        pipelines_router,
        owners_router,
        associations_router,
        merge_router,
        lifecycle_router,
        conversion_router,
        duplicates_router,
        routing_router,
        deals_router,
        money_router,
        forecasting_router,
        analytics_router,
        events_router,
        segments_router,
        scoring_router,
        backtest_router,
        predictive_router,
    ):
        app.include_router(router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        """Liveness check (no authentication)."""
        return {"status": "ok"}

    app.add_middleware(PathQuirksMiddleware)
    return app
