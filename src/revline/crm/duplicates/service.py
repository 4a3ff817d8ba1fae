"""Duplicate detection: candidates for one would-be record, and clusters across the database.

Records are only ever compared when they share a *blocking key* (the matching keys every
write keeps: canonical email, phone digits, company key for contacts; normalised name and
phone for companies; normalised name for deals, within one company and pipeline), so a scan
reads each key's groups once instead of comparing all pairs. Within a block, a pair scores:

contacts
  ``email`` 100 (same address, ignoring case), ``email_normalized`` 95 (same mailbox once
  dots and +tags the provider ignores are removed), ``phone_and_name`` 90 (same last ten
  digits and first + last name at least 90 similar), ``phone`` 70 (same digits, other name),
  ``name_and_company`` 85 (names at least 90 similar and the same company: normalised company
  name, else the email's company domain).
companies
  ``domain`` 100, ``name`` 90 (same normalised name), ``name_fuzzy`` 0.9 x similarity when
  at least 92, ``phone`` 60.
deals
  ``name_company_pipeline`` 90 (names at least 90 similar, same company and pipeline).

A pair's score is its best reason plus 5 for every further reason (at most 100). Similarity
is rapidfuzz's token-sort ratio (0-100) of the normalised strings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.process import cdist
from sqlalchemy.orm import Session

from revline.crm import matching
from revline.crm.companies.rules import normalise_domain
from revline.crm.duplicates import repository as repo
from revline.crm.object_types import COMPANIES, CONTACTS, DEALS, ObjectType
from revline.crm.properties.values import parse_string
from revline.crm.records import merge, search
from revline.crm.records.context import WriteSource
from revline.errors import Conflict, ErrorDetail, ValidationError

LIKELY = 80.0  # the score from which a candidate counts as a likely duplicate
MIN_SCORE = 60.0  # candidates below are not reported
NAME_SIMILARITY = 90.0
COMPANY_NAME_SIMILARITY = 92.0
# A key shared by more records than this identifies nobody (a switchboard number, a
# placeholder email) and is skipped in scans.
MAX_BLOCK = 50
# Records compared by name within one company key, at most (bigger companies are compared
# in windows of this many neighbours sorted by last name).
NAME_WINDOW = 400
SHOWN = {
    "contacts": ("email", "firstname", "lastname", "phone", "company"),
    "companies": ("name", "domain", "phone"),
    "deals": ("dealname", "pipeline", "dealstage", "amount"),
}
DUPLICATE_TYPES = ("contacts", "companies", "deals")


@dataclass(frozen=True)
class Reason:
    rule: str
    score: float
    detail: str


@dataclass
class Candidate:
    id: int
    score: float
    reasons: list[Reason]
    properties: dict[str, Any] = field(default_factory=dict)


def combine(reasons: Sequence[Reason]) -> float:
    best = max(r.score for r in reasons)
    return min(100.0, best + 5.0 * (len(reasons) - 1))


def duplicate_type(name: str) -> ObjectType:
    for ot in (CONTACTS, COMPANIES, DEALS):
        if name in (ot.name, ot.singular):
            return ot
    raise ValidationError(
        f"Duplicates are found for contacts, companies and deals, not '{name}'",
        errors=[
            ErrorDetail("unsupported object type", "INVALID_OBJECT_TYPE", {"objectType": [name]})
        ],
    )


# --- pair scoring -----------------------------------------------------------------------------


def _text(values: dict[str, Any], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) and value else None


def similarity(a: str, b: str) -> float:
    return float(fuzz.token_sort_ratio(a, b)) if a and b else 0.0


def contact_reasons(a: dict[str, Any], b: dict[str, Any]) -> list[Reason]:
    """Why two contacts (their properties and keys) may be the same person."""
    reasons = []
    email_a, email_b = _text(a, "email"), _text(b, "email")
    if email_a and email_b and email_a.lower() == email_b.lower():
        reasons.append(Reason("email", 100.0, f"same email {email_a.lower()}"))
    elif a.get("revline_email_key") and a.get("revline_email_key") == b.get("revline_email_key"):
        reasons.append(
            Reason("email_normalized", 95.0, f"{email_a} and {email_b} reach the same mailbox")
        )
    name_a = matching.person_name(_text(a, "firstname"), _text(a, "lastname"))
    name_b = matching.person_name(_text(b, "firstname"), _text(b, "lastname"))
    names = similarity(name_a, name_b)
    phone = a.get("revline_phone_key")
    if phone and phone == b.get("revline_phone_key"):
        if names >= NAME_SIMILARITY:
            reasons.append(
                Reason(
                    "phone_and_name", 90.0, f"same phone ...{phone} and names {names:.0f}% alike"
                )
            )
        else:
            reasons.append(Reason("phone", 70.0, f"same phone number ...{phone}"))
    company = a.get("revline_company_key")
    if company and company == b.get("revline_company_key") and names >= NAME_SIMILARITY:
        reasons.append(
            Reason(
                "name_and_company",
                85.0,
                f"names '{name_a}' and '{name_b}' {names:.0f}% alike at {company}",
            )
        )
    return reasons


def company_reasons(a: dict[str, Any], b: dict[str, Any]) -> list[Reason]:
    reasons = []
    if _text(a, "domain") and _text(a, "domain") == _text(b, "domain"):
        reasons.append(Reason("domain", 100.0, f"same domain {a['domain']}"))
    key_a, key_b = a.get("revline_name_key") or "", b.get("revline_name_key") or ""
    if key_a and key_a == key_b:
        reasons.append(Reason("name", 90.0, f"same name once normalised ('{key_a}')"))
    elif key_a and key_b:
        score = similarity(key_a, key_b)
        if score >= COMPANY_NAME_SIMILARITY:
            reasons.append(Reason("name_fuzzy", round(0.9 * score, 1), f"names {score:.0f}% alike"))
    if a.get("revline_phone_key") and a.get("revline_phone_key") == b.get("revline_phone_key"):
        reasons.append(Reason("phone", 60.0, f"same phone number ...{a['revline_phone_key']}"))
    return reasons


def deal_reasons(a: dict[str, Any], b: dict[str, Any]) -> list[Reason]:
    """Deals compare within one company and pipeline (the scan's blocks; the would-be deal's
    ``companyId``). Without a company only the pipeline is shared, and it counts for less."""
    if a.get("pipeline") and b.get("pipeline") and a["pipeline"] != b["pipeline"]:
        return []
    score = similarity(a.get("revline_name_key") or "", b.get("revline_name_key") or "")
    if score < NAME_SIMILARITY:
        return []
    if a.get("companyId") is None and "companyId" in a:
        return [Reason("name_pipeline", 75.0, f"names {score:.0f}% alike in the same pipeline")]
    return [
        Reason(
            "name_company_pipeline",
            90.0,
            f"names {score:.0f}% alike in the same company and pipeline",
        )
    ]


_REASONS = {"contacts": contact_reasons, "companies": company_reasons, "deals": deal_reasons}


# --- candidates for one would-be record -----------------------------------------------------


def _probe(ot: ObjectType, raw: Any, company_id: int | None = None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError(
            "properties must be an object of name/value pairs",
            errors=[ErrorDetail("not an object", "INVALID_TYPE", {"properties": [""]})],
        )
    values: dict[str, Any] = {}
    for name in (*SHOWN[ot.name], "mobilephone"):
        value = raw.get(name)
        if value is None or value == "":
            continue
        try:
            values[name] = parse_string(value)
        except Exception as exc:
            raise ValidationError(
                f"Property '{name}' must be text",
                errors=[ErrorDetail(str(exc), "INVALID_TYPE", {"propertyName": [name]})],
            ) from exc
    if ot.name == "contacts":
        email = values.get("email")
        if email is not None:
            values["email"] = email.strip().lower()
        values.update(
            matching.contact_keys(
                values.get("email"),
                values.get("phone"),
                values.get("mobilephone"),
                values.get("company"),
            )
        )
    elif ot.name == "companies":
        if values.get("domain"):
            values["domain"] = normalise_domain(values["domain"])
        values.update(matching.company_keys(values.get("name"), values.get("phone")))
    else:
        values.update(matching.deal_keys(values.get("dealname")))
        values.setdefault("pipeline", "default")
        values["companyId"] = company_id
    return values


def _similar_company_ids(session: Session, name_key: str) -> set[int]:
    """Companies whose name contains the first or the longest word of ``name_key`` (the
    name's substring index finds them); the scoring then decides."""
    words = name_key.split()
    wanted = [w for w in dict.fromkeys([words[0], max(words, key=len)]) if len(w) >= 3]
    if not wanted:
        return set()
    request = search.SearchRequest(
        groups=tuple((search.Filter("name", "CONTAINS_TOKEN", f"*{w}*"),) for w in wanted),
        properties=("name",),
        limit=200,
    )
    return {view.id for view in search.search_records(session, COMPANIES, request).items}


def find_duplicates(
    session: Session,
    ot: ObjectType,
    raw: Any,
    *,
    limit: int = 10,
    exclude_id: int | None = None,
    min_score: float = MIN_SCORE,
    company_id: int | None = None,
) -> list[Candidate]:
    """Live records that may be the record ``raw`` (its properties) describes, best first.
    For deals, ``company_id`` names the company whose deals in the same pipeline compare."""
    probe = _probe(ot, raw, company_id)
    ids = repo.duplicate_candidate_ids(session, ot, probe, limit=NAME_WINDOW)
    if ot.name == "companies" and probe.get("revline_name_key"):
        ids.update(_similar_company_ids(session, probe["revline_name_key"]))
    ids.discard(exclude_id or 0)
    if not ids:
        return []
    rows = repo.match_rows(session, ot, sorted(ids))
    scorer = _REASONS[ot.name]
    found = []
    for row in rows:
        reasons = scorer(probe, row)
        if reasons and combine(reasons) >= min_score:
            found.append(
                Candidate(
                    int(row["id"]),
                    combine(reasons),
                    reasons,
                    {n: row.get(n) for n in SHOWN[ot.name]},
                )
            )
    found.sort(key=lambda c: (-c.score, c.id))
    return found[:limit]


def refuse_likely_duplicates(session: Session, ot: ObjectType, raw: Any) -> None:
    """A 409 listing the likely duplicates (score >= ``LIKELY``) of a record about to be
    created, when there are any (``?rejectDuplicates=true`` on create)."""
    if ot.name not in ("contacts", "companies"):
        return
    found = find_duplicates(session, ot, raw, min_score=LIKELY)
    if not found:
        return
    raise Conflict(
        f"This {ot.singular} looks like {len(found)} existing record(s); best match "
        f"{found[0].id} ({found[0].score:.0f}: {found[0].reasons[0].detail})",
        context={"duplicateIds": [str(c.id) for c in found]},
        errors=[
            ErrorDetail(
                f"likely duplicate of {c.id} (score {c.score:.0f}): "
                + "; ".join(r.detail for r in c.reasons),
                "LIKELY_DUPLICATE",
                {
                    "id": [str(c.id)],
                    "score": [f"{c.score:.0f}"],
                    "rules": [r.rule for r in c.reasons],
                },
            )
            for c in found
        ],
    )


# --- scanning the whole database ------------------------------------------------------------


@dataclass
class Cluster:
    ids: list[int]
    score: float  # the best pair score inside the cluster
    rules: list[str]  # the rules that linked it


@dataclass
class ScanResult:
    object_type: str
    records: int
    pairs_compared: int
    pairs_found: int
    clusters: list[Cluster]


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _pairs_in(block: Sequence[int]) -> Iterator[tuple[int, int]]:
    for i, a in enumerate(block):
        for b in block[i + 1 :]:
            yield (a, b) if a < b else (b, a)


def _fuzzy_pairs(members: Sequence[tuple[int, str]], cutoff: float) -> Iterable[tuple[int, int]]:
    """Pairs of (id, text) whose texts are at least ``cutoff`` alike, compared in windows of
    ``NAME_WINDOW`` neighbours (sorted by text) so that a huge block stays bounded."""
    ordered = sorted(members, key=lambda m: m[1])
    step = NAME_WINDOW // 2
    seen: set[tuple[int, int]] = set()
    for start in range(0, max(1, len(ordered) - step), step):
        window = ordered[start : start + NAME_WINDOW]
        if len(window) < 2:
            break
        texts = [t for _, t in window]
        scores = cdist(texts, texts, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff)
        for i in range(len(window)):
            for j in range(i + 1, len(window)):
                if scores[i][j]:
                    a, b = window[i][0], window[j][0]
                    pair = (a, b) if a < b else (b, a)
                    if pair not in seen:
                        seen.add(pair)
                        yield pair


def scan(session: Session, ot: ObjectType, *, min_score: float = LIKELY) -> ScanResult:
    """Every cluster of live records that look like one another (pairs scoring at least
    ``min_score``, joined transitively)."""
    candidate_pairs: set[tuple[int, int]] = set()
    for block in repo.exact_blocks(session, ot, max_block=MAX_BLOCK):
        candidate_pairs.update(_pairs_in(sorted(block)))
    if ot.name == "contacts":
        for members in repo.name_blocks(session, ot):
            candidate_pairs.update(_fuzzy_pairs(members, NAME_SIMILARITY))
    elif ot.name == "companies":
        for members in repo.name_prefix_blocks(session, ot):
            candidate_pairs.update(_fuzzy_pairs(members, COMPANY_NAME_SIMILARITY))
    else:
        for members in repo.deal_blocks(session):
            candidate_pairs.update(_fuzzy_pairs(members, NAME_SIMILARITY))

    scorer = _REASONS[ot.name]
    union = _Union()
    kept: dict[tuple[int, int], tuple[float, list[str]]] = {}
    ordered = sorted(candidate_pairs)
    for start in range(0, len(ordered), 2000):
        chunk = ordered[start : start + 2000]
        rows = {
            int(r["id"]): r
            for r in repo.match_rows(session, ot, sorted({i for p in chunk for i in p}))
        }
        for a, b in chunk:
            if a not in rows or b not in rows:
                continue
            reasons = scorer(rows[a], rows[b])
            if reasons and combine(reasons) >= min_score:
                kept[(a, b)] = (combine(reasons), [r.rule for r in reasons])
                union.join(a, b)
    by_root: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in kept:
        by_root[union.find(pair[0])].append(pair)
    clusters = []
    for pairs in by_root.values():
        ids = sorted({i for pair in pairs for i in pair})
        clusters.append(
            Cluster(
                ids,
                max(kept[p][0] for p in pairs),
                sorted({rule for p in pairs for rule in kept[p][1]}),
            )
        )
    clusters.sort(key=lambda c: (-len(c.ids), c.ids[0]))
    return ScanResult(
        ot.name, repo.live_count(session, ot), len(candidate_pairs), len(kept), clusters
    )


def merge_clusters(
    session: Session, ot: ObjectType, clusters: Sequence[Cluster], *, source: WriteSource
) -> int:
    """Merge each cluster into its oldest record (the lowest id). Returns records merged."""
    merged = 0
    for cluster in clusters:
        primary, *others = cluster.ids
        for other in others:
            merge.merge_records(session, ot, str(primary), str(other), source=source)
            merged += 1
    return merged
