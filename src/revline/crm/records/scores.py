"""Score properties: read-only contact properties whose values live in ``contact_scores``
rather than in the contact row (see ``revline.models.scoring.ContactScore`` for why).

A score model named ``fit`` owns ``revline_score_fit`` (its score, a number) and, when it has
labels, ``revline_score_fit_label``. Reads merge the stored values into the record's
properties; search, sorts and segment conditions read them through a correlated subquery,
so they behave exactly like other properties.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS, ObjectType
from revline.crm.properties.values import format_number
from revline.models import ContactScore

PREFIX = "revline_score_"
LABEL_SUFFIX = "_label"
# The predictive score keeps its quartile tier as the label of its score.
PREDICTIVE = "revline_predictive_score"
PREDICTIVE_TIER = "revline_predictive_tier"


def is_score_property(ot: ObjectType, name: str) -> bool:
    return ot.name == CONTACTS.name and (
        name.startswith(PREFIX) or name in (PREDICTIVE, PREDICTIVE_TIER)
    )


def _split(name: str) -> tuple[str, bool]:
    """The score property a name reads, and whether it is the label."""
    if name == PREDICTIVE_TIER:
        return PREDICTIVE, True
    if name.startswith(PREFIX) and name.endswith(LABEL_SUFFIX):
        return name[: -len(LABEL_SUFFIX)], True
    return name, False


def expression(name: str, contact_id: Any) -> ColumnElement[Any]:
    """The property's value for the contact whose id is ``contact_id`` (a column), or NULL."""
    score_property, label = _split(name)
    s = ContactScore
    column: Any = s.label if label else s.score
    return (
        select(column)
        .where(s.score_property == score_property, s.contact_id == contact_id)
        .scalar_subquery()
    )


def attach(
    session: Session, ot: ObjectType, rows: Sequence[RowMapping], names: Collection[str]
) -> list[Any]:
    """``rows`` with the wanted score properties merged into their ``custom`` documents (as
    the API strings), so rendering reads them like any custom property."""
    wanted = [n for n in names if is_score_property(ot, n)]
    if not wanted or not rows:
        return list(rows)
    by_score: dict[str, list[tuple[str, bool]]] = {}
    for name in wanted:
        score_property, is_label = _split(name)
        by_score.setdefault(score_property, []).append((name, is_label))
    ids = [int(r["id"]) for r in rows]
    s = ContactScore
    found: dict[int, dict[str, str]] = {}
    stored = session.execute(
        select(s.contact_id, s.score_property, s.score, s.label).where(
            s.score_property.in_(sorted(by_score)), s.contact_id.in_(ids)
        )
    )
    for contact_id, score_property, score, label in stored:
        values = found.setdefault(int(contact_id), {})
        for name, is_label in by_score[score_property]:
            if not is_label:
                values[name] = format_number(score)
            elif label is not None:
                values[name] = label
    out: list[Any] = []
    for row in rows:
        extra = found.get(int(row["id"]))
        if extra:
            merged = dict(row)
            merged["custom"] = {**(row["custom"] or {}), **extra}
            out.append(merged)
        else:
            out.append(row)
    return out
