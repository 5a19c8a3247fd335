"""Everything a request works against, built once per app from the settings.

Nothing here runs at import: :func:`open_services` is called by the app's lifespan (or a
test) and the result is stored on ``app.state``; routers reach it through
:mod:`tradeguard.api.deps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tradeguard.api.auth import TokenSigner
from tradeguard.api.config import ApiConfig
from tradeguard.api.limits import RateLimiter
from tradeguard.api.scoring import EntryScorer, LazyScorer
from tradeguard.decisions import SqlLogStore, TransparencyLog, signer_from_settings
from tradeguard.decisions.review import Workflow
from tradeguard.decisions.workflow_store import SqlWorkflowStore
from tradeguard.security import FieldCipher, SqlAccessLog
from tradeguard.settings import Settings
from tradeguard.store import Store, open_store

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass
class Services:
    """The open store, the decisions workflow, the token signer, the scorer and the limits."""

    settings: Settings
    config: ApiConfig
    store: Store
    workflow: Workflow
    tokens: TokenSigner
    scorer: LazyScorer
    limiter: RateLimiter
    owns_store: bool = True
    jobs: dict[str, object] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def engine(self) -> sa.Engine:
        """The database engine."""
        return self.store.engine

    def deployment(self) -> dict[str, object]:
        """What this process scores with, as the deployment gate allows it now.

        Before the scorer is built (its model not loaded yet) only the kill switch is known;
        a scorer handed in without a gate says so (``gated`` false).
        """
        from tradeguard.governance.deployment import DeploymentStatus, deployment_status
        from tradeguard.governance.registry import RegistryError, open_registry

        ready = self.scorer.ready
        status = self.scorer.get().deployment if ready else None
        if ready and status is None:
            return {"scorer_ready": True, "gated": False}
        if status is None:
            try:
                status = deployment_status(open_registry(self.settings), None)
            except RegistryError as exc:
                status = DeploymentStatus(False, registry_error=str(exc))
        return {"scorer_ready": ready, "gated": True, **status.to_json()}

    def close(self) -> None:
        """Release the database if this service opened it."""
        if self.owns_store:
            self.store.close()


def open_workflow(engine: sa.Engine, settings: Settings) -> Workflow:
    """The decisions workflow over this database: review records, the log, sealing, access."""
    log = TransparencyLog(SqlLogStore(engine), signer_from_settings(settings))
    return Workflow(SqlWorkflowStore(engine), log, FieldCipher.from_settings(settings),
                    access_log=SqlAccessLog(engine))


def _scorer_from_store(engine: sa.Engine, config: ApiConfig,
                       settings: Settings | None = None) -> EntryScorer:
    """Fit the scorer on every stored entry, with the model from ``config.model_dir``
    (and, with ``config.warm_scorer``, score the latest stored entries once: see
    :meth:`~tradeguard.api.scoring.EntryScorer.warm_up`).

    With ``settings`` the scorer goes through the deployment gate of that installation's
    registry: the model only while its version is approved, nothing AI-assisted while the
    kill switch is engaged (see :mod:`tradeguard.api.scoring`); and it targets with
    ``settings.targeting_config`` when one is set.
    """
    from tradeguard.api.records import stored_declarations, stored_outcomes
    from tradeguard.api.scoring import build_scorer

    history = stored_declarations(engine)
    model = None
    if config.model_dir is not None and (config.model_dir / "model.json").exists():
        from tradeguard.model import load_artifact

        model = load_artifact(config.model_dir)
    gate = None
    targeting = None
    if settings is not None:
        from tradeguard.governance.deployment import RegistryWatch
        from tradeguard.governance.registry import open_registry

        gate = RegistryWatch(open_registry(settings), None if model is None else model.version)
        if settings.targeting_config is not None:
            from tradeguard.targeting.config import load_targeting_config

            targeting = load_targeting_config(settings.targeting_config)
    scorer = build_scorer(history.entries, history.lines, outcomes=stored_outcomes(engine),
                          model=model, gate=gate, config=targeting)
    if config.warm_scorer:
        scorer.warm_up(history.entries, history.lines)
    return scorer


def open_services(
    settings: Settings, config: ApiConfig | None = None, store: Store | None = None,
    scorer: EntryScorer | None = None,
) -> Services:
    """Open (and migrate) the database and wire the services; refuses development secrets
    outside development."""
    settings.require_production_secrets()
    cfg = config or ApiConfig()
    db = store or open_store(settings=settings)
    workflow = open_workflow(db.engine, settings)
    tokens = TokenSigner(settings.secret_key.get_secret_value().encode(), cfg.token_ttl_seconds)
    lazy = LazyScorer(lambda: scorer or _scorer_from_store(db.engine, cfg, settings))
    return Services(settings, cfg, db, workflow, tokens, lazy,
                    RateLimiter(cfg.rate_per_second, cfg.rate_burst), owns_store=store is None)
