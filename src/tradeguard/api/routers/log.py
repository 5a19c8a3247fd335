"""The decision log: signed checkpoint, inclusion proofs, receipt and log verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.schemas import ReceiptIn
from tradeguard.decisions import Receipt, verify_log, verify_receipt
from tradeguard.security import Permission, Resource

router = APIRouter(prefix="/api/v1", tags=["log"])


@router.get("/log/checkpoint", summary="The latest signed tree head")
def checkpoint(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Size, root and the signed note, with the key that verifies it."""
    wf = services.workflow
    wf.check(principal, Permission.LOG_VERIFY, Resource("log", "checkpoint",
                                                         principal.importer_id))
    head = wf.log.checkpoint()
    return {"size": head.size if head else 0, "root": head.root.hex() if head else None,
            "checkpoint": head.note if head else None,
            "verifier_key": wf.log.signer.verifier_key}


@router.get("/log/proof/{seq}", summary="Receipt for one log record")
def proof(seq: Annotated[int, Path(ge=0, le=2**63 - 1,
                                   description="Sequence number of the log record")],
          principal: PrincipalDep, services: ServicesDep) -> Any:
    """Leaf hash, inclusion proof and the signed head covering record ``seq``."""
    wf = services.workflow
    wf.check(principal, Permission.LOG_VERIFY, Resource("log", str(seq), principal.importer_id))
    if seq < 0:
        raise KeyError(f"log record {seq} does not exist")
    return {**wf.receipt(seq).to_json(), "verifier_key": wf.log.signer.verifier_key}


@router.post("/receipts/verify", summary="Check a receipt against the log's key")
def verify(body: ReceiptIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """True when the checkpoint is signed by the log key and the proof puts the leaf in it."""
    wf = services.workflow
    wf.check(principal, Permission.LOG_VERIFY, Resource("receipt", str(body.leaf_index),
                                                         principal.importer_id))
    key = body.verifier_key or wf.log.signer.verifier_key
    try:
        receipt = Receipt.from_json(body.model_dump())
        ok = verify_receipt(receipt, key)
    except ValueError:
        ok = False
    return {"valid": ok, "leaf_index": body.leaf_index, "tree_size": body.tree_size,
            "verifier_key": key}


@router.get("/log/verify", summary="Verify the whole log")
def verify_all(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Recompute every hash and head; names the first bad record if any."""
    wf = services.workflow
    wf.check(principal, Permission.LOG_VERIFY, Resource("log", "*", principal.importer_id))
    result = verify_log(wf.log.store, wf.log.signer.verifier_key)
    return {"ok": result.ok, "records": result.records_checked, "heads": result.heads_checked,
            "root": result.root.hex(),
            "first_bad": str(result.first_bad) if result.first_bad else None}
