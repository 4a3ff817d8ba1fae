"""The scoring API contract: response shapes of models, recomputes, explanations and
history. Request bodies are plain JSON objects checked by the service (``rules.py``), so
every problem is a 400 naming its path."""

from __future__ import annotations

from typing import Any

from revline.kit.time import iso_ms
from revline.models import ScoreChange
from revline.scoring.service import Explanation, ModelView, Recompute


def recompute_out(result: Recompute) -> dict[str, Any]:
    return {
        "modelId": str(result.model_id),
        "model": result.name,
        "scored": result.scored,
        "changed": result.changed,
        "movedLifecycleStage": result.moved,
    }


def model_out(view: ModelView) -> dict[str, Any]:
    m = view.model
    out: dict[str, Any] = {
        "id": str(m.id),
        "name": m.name,
        "label": m.label,
        "description": m.description,
        "kind": m.kind,
        "active": m.active,
        "version": m.version,
        "scoreProperty": m.score_property,
        "labelProperty": m.label_property,
        "timeBased": view.definition.time_based,
        "dependencies": m.dependencies,
        "definition": m.definition,
        "rules": [
            {"name": r.key, "group": view.definition.groups[r.group].name, "kind": r.kind}
            for r in view.definition.rules
        ],
        "createdAt": iso_ms(m.created_at),
        "updatedAt": iso_ms(m.updated_at),
        "lastRecomputedAt": iso_ms(m.last_recomputed_at) if m.last_recomputed_at else None,
    }
    if view.recompute is not None:
        out["recompute"] = recompute_out(view.recompute)
    return out


def explanation_out(e: Explanation) -> dict[str, Any]:
    return {
        "model": e.model.name,
        "modelId": str(e.model.id),
        "version": e.model.version,
        "scoreProperty": e.model.score_property,
        "score": e.score,
        "storedScore": e.stored,
        "problem": e.problem,
        "label": e.label,
        "groups": [
            {"name": name, "points": points, "maxPoints": cap} for name, points, cap in e.groups
        ],
        "rules": [
            {
                "name": c.rule.key,
                "group": c.group,
                "kind": c.rule.kind,
                "points": round(c.points, 2),
                "measured": round(c.measured, 4),
                "why": c.why,
            }
            for c in e.contributions
        ],
    }


def change_out(row: ScoreChange, model: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "model": model,
        "changedAt": iso_ms(row.changed_at),
        "oldScore": float(row.old_score) if row.old_score is not None else None,
        "newScore": float(row.new_score) if row.new_score is not None else None,
        "oldLabel": row.old_label,
        "newLabel": row.new_label,
        "cause": row.cause,
        "causeDetail": row.cause_detail,
    }
