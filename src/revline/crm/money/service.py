"""Money on deals: ISO 4217 currencies, the workspace's home currency, effective-dated exchange
rates, amounts converted to the home currency and recurring revenue.

A rate says how many units of a currency one unit of the home currency buys (HubSpot's and
Salesforce's convention), so ``amount in home currency = amount / rate``. The arithmetic is
done here, in ``Decimal``, by the same pure functions for a deal write and for a recompute
after rates change: both paths round identically whatever the database stores.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

import pycountry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from revline.crm.money import repository as repo
from revline.crm.properties.values import format_value
from revline.crm.records.context import WriteContext
from revline.crm.settings import repository as workspace
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import Page, paginate, parse_id
from revline.kit.time import utcnow
from revline.models import ExchangeRate

DEFAULT_HOME_CURRENCY = "USD"
DEFAULT_TERM_MONTHS = 12
MAX_TERM_MONTHS = 600
MONTHS_PER_YEAR = 12
CENT = Decimal("0.01")
MAX_RATE = Decimal("1e12")
MAX_RATE_PLACES = 12
# Deals read and written per round of a recompute.
RECOMPUTE_CHUNK = 2000
# Row errors listed in one refused import (the message gives the full count).
MAX_LISTED_ERRORS = 1000
MAX_RATE_INPUTS = 10_000

_SETTING_KEY = "currency"
_REFRESH_KEY = "money_refresh"
_HOME_CACHE = "revline.money.home_currency"
_RATES_CACHE = "revline.money.rates"
_CODE = re.compile(r"^[A-Z]{3}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CSV_COLUMNS = ("currency", "effective_from", "rate")


# --- pure money arithmetic ------------------------------------------------------------------


@dataclass(frozen=True)
class RateTable:
    """The rates of one currency: ``days[i]`` is when ``rates[i]`` took effect, oldest first."""

    days: tuple[date, ...] = ()
    rates: tuple[Decimal, ...] = ()

    def in_force(self, day: date) -> Decimal | None:
        """The rate in force on ``day``; before the first rate, the earliest one (a deal dated
        before any loaded rate is still converted); None when the currency has no rate."""
        if not self.days:
            return None
        i = bisect.bisect_right(self.days, day) - 1
        return self.rates[max(i, 0)]


def conversion_day(*, closed: bool | None, closedate: datetime | None, today: date) -> date:
    """Which day's rate converts a deal: its close date (UTC day) once closed, else today.
    A closed deal without a close date is converted like an open one."""
    if closed and closedate is not None:
        return closedate.astimezone(UTC).date()
    return today


def to_home_currency(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount / rate`` rounded half away from zero to 2 decimal places."""
    with localcontext() as ctx:
        ctx.prec = 60  # wide enough that only the final rounding to cents ever rounds
        return (amount / rate).quantize(CENT, rounding=ROUND_HALF_UP)


def home_amount(
    amount: Decimal | None, currency: str | None, home: str, rates: RateTable | None, day: date
) -> Decimal | None:
    """The amount in the home currency (None when there is no amount or no rate)."""
    if amount is None:
        return None
    if currency is None or currency == home:
        return amount
    rate = rates.in_force(day) if rates is not None else None
    return None if rate is None else to_home_currency(amount, rate)


def effective_probability(
    forecast_probability: Decimal | None, stage_probability: Decimal | None
) -> Decimal | None:
    """The deal's own forecast probability when set, else its stage's."""
    return forecast_probability if forecast_probability is not None else stage_probability


def projected_amount(amount: Decimal | None, probability: Decimal | None) -> Decimal | None:
    """``amount x probability`` rounded half away from zero to 2 decimal places."""
    if amount is None or probability is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        return (amount * probability).quantize(CENT, rounding=ROUND_HALF_UP)


def deal_home_values(
    *,
    amount: Decimal | None,
    currency: str | None,
    closed: bool | None,
    closedate: datetime | None,
    forecast_probability: Decimal | None,
    stage_probability: Decimal | None,
    home: str,
    rates: RateTable | None,
    today: date,
) -> tuple[Decimal | None, Decimal | None]:
    """(amount_in_home_currency, hs_projected_amount_in_home_currency) of one deal."""
    day = conversion_day(closed=closed, closedate=closedate, today=today)
    in_home = home_amount(amount, currency, home, rates, day)
    probability = effective_probability(forecast_probability, stage_probability)
    return in_home, projected_amount(in_home, probability)


@dataclass(frozen=True)
class RecurringRevenue:
    mrr: Decimal | None
    arr: Decimal | None
    tcv: Decimal | None


def recurring_revenue(
    *, amount: Decimal | None, monthly: Decimal | None, term_months: Decimal | None
) -> RecurringRevenue:
    """MRR = the monthly recurring amount, ARR = 12 x MRR, TCV = MRR x term (12 months when
    not given). A one-off deal (no recurring amount) has no MRR or ARR and TCV = amount."""
    if monthly is None:
        return RecurringRevenue(None, None, amount)
    term = term_months if term_months is not None else Decimal(DEFAULT_TERM_MONTHS)
    return RecurringRevenue(monthly, monthly * MONTHS_PER_YEAR, monthly * term)


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    return a == b if a is not None and b is not None else a is b


# --- currencies -----------------------------------------------------------------------------


def currency_problem(code: str) -> str | None:
    """Why ``code`` (already upper case) is not an ISO 4217 currency code, or None."""
    if not _CODE.match(code):
        return f"'{code}' is not a three-letter ISO 4217 currency code"
    if pycountry.currencies.get(alpha_3=code) is None:
        return f"'{code}' is not an ISO 4217 currency code"
    return None


def _normalise_code(raw: Any) -> str:
    if not isinstance(raw, str):
        raise _FieldProblem("INVALID_CURRENCY", "must be a currency code such as EUR")
    code = raw.strip().upper()
    problem = currency_problem(code)
    if problem is not None:
        raise _FieldProblem("INVALID_CURRENCY", problem)
    return code


def home_currency(session: Session) -> str:
    """The workspace's home currency (USD until set), read once per unit of work."""
    cached = session.info.get(_HOME_CACHE)
    if isinstance(cached, str):
        return cached
    stored = workspace.get_setting(session, _SETTING_KEY) or {}
    code = stored.get("home_currency")
    home = code if isinstance(code, str) else DEFAULT_HOME_CURRENCY
    session.info[_HOME_CACHE] = home
    return home


def set_home_currency(session: Session, code: Any) -> str:
    """Change the home currency. Refused while exchange rates exist (they are relative to the
    home currency) and while live deals are in a currency that would then have no rate."""
    try:
        new = _normalise_code(code)
    except _FieldProblem as problem:
        raise ValidationError(
            f"homeCurrency: {problem.message}",
            errors=[ErrorDetail(problem.message, problem.code, {"field": ["homeCurrency"]})],
        ) from None
    current = home_currency(session)
    if new == current:
        return current
    rates = repo.count_rates(session)
    if rates:
        raise Conflict(
            f"The home currency cannot change from {current} to {new} while {rates} exchange "
            f"rate(s) exist: rates are relative to the home currency. Delete them first, then "
            f"load rates relative to {new}.",
            context={"homeCurrency": [new]},
        )
    stranded = {c: n for c, n in repo.deal_currencies(session).items() if c != new}
    if stranded:
        listed = ", ".join(f"{n} in {c}" for c, n in sorted(stranded.items()))
        raise Conflict(
            f"The home currency cannot change to {new}: live deals are in other currencies "
            f"({listed}) and would have no exchange rate.",
            context={"homeCurrency": [new]},
        )
    workspace.put_setting(session, _SETTING_KEY, {"home_currency": new}, utcnow())
    session.info[_HOME_CACHE] = new
    return new


# --- exchange rates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    id: int
    currency: str
    effective_from: date
    rate: Decimal
    created_at: datetime


@dataclass(frozen=True)
class RateInput:
    currency: str
    effective_from: date
    rate: Decimal


@dataclass(frozen=True)
class RateImport:
    """What an import or a create wrote."""

    rows: int
    created: int
    replaced: int
    currencies: tuple[str, ...]
    recomputed_deals: int


class _FieldProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _rate_of(row: ExchangeRate) -> Rate:
    return Rate(row.id, row.currency_code, row.effective_from, row.rate, row.created_at)


def rate_table(session: Session, currency: str) -> RateTable:
    """The rates of one currency, read once per unit of work (rate writes refresh it)."""
    cache: dict[str, RateTable] = session.info.setdefault(_RATES_CACHE, {})
    found = cache.get(currency)
    if found is None:
        points = repo.rate_points(session, currency)
        found = RateTable(tuple(p[0] for p in points), tuple(p[1] for p in points))
        cache[currency] = found
    return found


def _forget_rates(session: Session) -> None:
    session.info.pop(_RATES_CACHE, None)


def _parse_day(raw: Any) -> date:
    text = raw.strip() if isinstance(raw, str) else None
    if text is None or not _DAY.match(text):
        raise _FieldProblem("INVALID_DATE", "must be an ISO date such as 2026-01-01")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _FieldProblem("INVALID_DATE", f"'{text}' is not a valid date") from None


def _parse_rate(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _FieldProblem("INVALID_RATE", "must be a positive number such as 0.92")
    text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _FieldProblem("INVALID_RATE", f"'{text}' is not a number") from None
    if not value.is_finite() or value <= 0:
        raise _FieldProblem("INVALID_RATE", f"'{text}' is not a positive number")
    if value >= MAX_RATE:
        raise _FieldProblem("INVALID_RATE", f"'{text}' is too large")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_RATE_PLACES:
        raise _FieldProblem(
            "INVALID_RATE", f"'{text}' has more than {MAX_RATE_PLACES} decimal places"
        )
    return value


def _parse_rate_fields(
    fields: dict[str, Any], home: str
) -> tuple[RateInput | None, list[tuple[str, _FieldProblem]]]:
    """The input, or the (field, problem) pairs of everything wrong with it."""
    problems: list[tuple[str, _FieldProblem]] = []
    parsed: dict[str, Any] = {}
    for name, parse in (
        ("currency", _normalise_code),
        ("effectiveFrom", _parse_day),
        ("rate", _parse_rate),
    ):
        try:
            parsed[name] = parse(fields.get(name))
        except _FieldProblem as problem:
            problems.append((name, problem))
    if parsed.get("currency") == home:
        problems.append(
            (
                "currency",
                _FieldProblem(
                    "HOME_CURRENCY",
                    f"{home} is the home currency: its rate is always 1 and cannot be loaded",
                ),
            )
        )
    if problems:
        return None, problems
    return RateInput(parsed["currency"], parsed["effectiveFrom"], parsed["rate"]), []


def list_rates(
    session: Session, *, currency: str | None = None, after: str | None = None, limit: int = 100
) -> Page[Rate]:
    """Rates by currency, then date; ``after`` is the cursor of the previous page."""
    code = None
    if currency:
        try:
            code = _normalise_code(currency)
        except _FieldProblem as problem:
            raise ValidationError(
                f"currency: {problem.message}",
                errors=[ErrorDetail(problem.message, problem.code, {"currency": [currency]})],
            ) from None
    if not 1 <= limit <= 1000:
        raise ValidationError(
            "limit must be between 1 and 1000",
            errors=[ErrorDetail("out of range", "INVALID_LIMIT", {"limit": [str(limit)]})],
        )
    key = _parse_cursor(after)
    rows = repo.list_rates(session, currency=code, after=key, limit=limit + 1)
    page = paginate(rows, limit, lambda r: f"{r.currency_code}:{r.effective_from.isoformat()}")
    return Page(items=[_rate_of(r) for r in page.items], next_after=page.next_after)


def _parse_cursor(after: str | None) -> tuple[str, date] | None:
    if not after:
        return None
    code, _, day = after.partition(":")
    try:
        return _normalise_code(code), _parse_day(day)
    except _FieldProblem:
        raise ValidationError(
            f"'after' must be a cursor returned by a previous page, not '{after}'",
            errors=[ErrorDetail("invalid cursor", "INVALID_CURSOR", {"after": [after]})],
        ) from None


def create_rates(session: Session, body: Any, *, today: date | None = None) -> list[Rate]:
    """Store one rate (``{currency, effectiveFrom, rate}``) or several (``{"inputs": [...]}``):
    all or nothing. A rate for a (currency, day) already loaded replaces it."""
    single = isinstance(body, dict) and "inputs" not in body
    items = [body] if single else body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or len(items) > MAX_RATE_INPUTS:
        raise ValidationError(
            'The body must be {"currency": "EUR", "effectiveFrom": "2026-01-01", "rate": '
            f'"0.92"}} or {{"inputs": [...]}} with 1 to {MAX_RATE_INPUTS} of those',
            errors=[ErrorDetail("malformed body", "INVALID_INPUT", {"field": ["body"]})],
        )
    home = home_currency(session)
    inputs: list[RateInput] = []
    errors: list[ErrorDetail] = []
    seen: dict[tuple[str, date], int] = {}
    for i, item in enumerate(items):
        where = "" if single else f"inputs[{i}]."
        context = {} if single else {"inputs": [str(i)]}
        if not isinstance(item, dict):
            errors.append(ErrorDetail(f"inputs[{i}]: not an object", "INVALID_INPUT", context))
            continue
        rate, problems = _parse_rate_fields(item, home)
        for name, problem in problems:
            errors.append(
                ErrorDetail(
                    f"{where}{name}: {problem.message}",
                    problem.code,
                    {**context, "field": [name]},
                )
            )
        if rate is None:
            continue
        first = seen.setdefault((rate.currency, rate.effective_from), i)
        if first != i:
            errors.append(
                ErrorDetail(
                    f"{where}effectiveFrom: {rate.currency} on {rate.effective_from} is already "
                    f"given by inputs[{first}]",
                    "DUPLICATE_RATE",
                    {**context, "field": ["effectiveFrom"]},
                )
            )
            continue
        inputs.append(rate)
    if errors:
        raise ValidationError(
            errors[0].message if single else f"{len(errors)} problem(s) in the rates; none stored",
            errors=errors,
        )
    store_rates(session, inputs, today=today)
    stored: list[Rate] = []
    for rate in inputs:
        ident = repo.rates_on_days(session, rate.currency, [rate.effective_from])
        row = repo.get_rate(session, ident[rate.effective_from])
        assert row is not None
        stored.append(_rate_of(row))
    return stored


def import_rates_csv(
    session: Session, data: bytes | str, *, today: date | None = None
) -> RateImport:
    """Load a CSV with the header ``currency,effective_from,rate`` (other columns are
    ignored). Every row is checked first; if any is bad nothing is stored and the 400 lists
    each bad row by line number and field."""
    text = _decode(data)
    home = home_currency(session)
    errors: list[ErrorDetail] = []
    inputs: list[RateInput] = []
    seen: dict[tuple[str, date], int] = {}

    def bad(line: int, field: str, code: str, message: str) -> None:
        errors.append(
            ErrorDetail(
                f"line {line}, {field}: {message}",
                code,
                {"line": [str(line)], "field": [field]},
            )
        )

    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                names = [cell.strip().lower() for cell in row]
                columns = {n: names.index(n) for n in _CSV_COLUMNS if n in names}
                missing = [n for n in _CSV_COLUMNS if n not in columns]
                if missing:
                    bad(
                        line,
                        "header",
                        "INVALID_HEADER",
                        f"the header must name the columns {','.join(_CSV_COLUMNS)} "
                        f"(missing: {', '.join(missing)})",
                    )
                    break
                continue
            fields = {
                api: row[columns[col]] if columns[col] < len(row) else None
                for api, col in (
                    ("currency", "currency"),
                    ("effectiveFrom", "effective_from"),
                    ("rate", "rate"),
                )
            }
            rate, problems = _parse_rate_fields(fields, home)
            for name, problem in problems:
                column = "effective_from" if name == "effectiveFrom" else name
                bad(line, column, problem.code, problem.message)
            if rate is None:
                continue
            first = seen.setdefault((rate.currency, rate.effective_from), line)
            if first != line:
                bad(
                    line,
                    "effective_from",
                    "DUPLICATE_RATE",
                    f"{rate.currency} on {rate.effective_from} is already given on line {first}",
                )
                continue
            inputs.append(rate)
    except csv.Error as exc:
        bad(reader.line_num, "row", "INVALID_CSV", str(exc))
    if columns is None and not errors:
        bad(1, "header", "INVALID_HEADER", "the file is empty")
    elif not inputs and not errors:
        bad(reader.line_num, "row", "NO_RATES", "the file holds a header but no rates")
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        extra = f" (the first {len(listed)} are listed)" if len(errors) > len(listed) else ""
        raise ValidationError(
            f"{len(errors)} problem(s) in the CSV; no rate was stored{extra}", errors=listed
        )
    return store_rates(session, inputs, today=today)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The CSV must be UTF-8 text (byte {exc.start} is not)",
            errors=[ErrorDetail("not UTF-8", "INVALID_ENCODING", {"field": ["body"]})],
        ) from None


def store_rates(
    session: Session, inputs: Sequence[RateInput], *, today: date | None = None
) -> RateImport:
    """Write valid rates (replacing those of the same currency and day), then recompute the
    deals of the currencies they touch."""
    at = utcnow()
    by_currency: dict[str, list[RateInput]] = {}
    for rate in inputs:
        by_currency.setdefault(rate.currency, []).append(rate)
    inserts: list[dict[str, Any]] = []
    replaces: list[dict[str, Any]] = []
    for currency, rates in by_currency.items():
        held = repo.rates_on_days(session, currency, [r.effective_from for r in rates])
        for r in rates:
            if r.effective_from in held:
                replaces.append({"id": held[r.effective_from], "rate": r.rate, "created_at": at})
            else:
                inserts.append(
                    {
                        "currency_code": currency,
                        "effective_from": r.effective_from,
                        "rate": r.rate,
                        "created_at": at,
                    }
                )
    try:
        with session.begin_nested():
            repo.replace_rates(session, replaces)
            repo.insert_rates(session, inserts)
    except IntegrityError:
        raise Conflict(
            "Another writer loaded rates for the same currency and day at the same time; try again"
        ) from None
    _forget_rates(session)
    currencies = tuple(sorted(by_currency))
    recomputed = recompute_deals(session, currencies, today=today or utcnow().date())
    return RateImport(len(inputs), len(inserts), len(replaces), currencies, recomputed)


def delete_rate(session: Session, rate_id: str, *, today: date | None = None) -> None:
    """Delete one rate and recompute the deals of its currency. The last rate of a currency
    that live deals are in cannot go (they would have nothing to convert with)."""
    ident = parse_id(rate_id)
    row = None if ident is None else repo.get_rate(session, ident)
    if row is None or ident is None:
        raise NotFound(f"Exchange rate {rate_id} does not exist", context={"id": [rate_id]})
    currency = row.currency_code
    deals = repo.deal_currencies(session).get(currency, 0)
    if deals and repo.count_rates(session, currency) == 1:
        raise Conflict(
            f"This is the last {currency} rate and {deals} live deal(s) are in {currency}: "
            "load another rate first, or move those deals to another currency",
            context={"id": [rate_id]},
        )
    repo.delete_rate(session, ident)
    session.expunge(row)
    _forget_rates(session)
    recompute_deals(session, [currency], today=today or utcnow().date())


# --- recompute ------------------------------------------------------------------------------


def recompute_deals(
    session: Session,
    currencies: Iterable[str],
    *,
    today: date,
    open_only: bool = False,
    source_id: str = "exchange-rates",
) -> int:
    """Recompute ``amount_in_home_currency`` and ``hs_projected_amount_in_home_currency`` of
    the live deals in ``currencies`` with today's rates; write the values that changed, with
    history rows (source CALCULATED). Returns how many deals changed."""
    home = home_currency(session)
    wanted = sorted({c for c in currencies if c != home})
    if not wanted:
        return 0
    tables = {c: rate_table(session, c) for c in wanted}
    at = utcnow()
    changed = 0
    after = 0
    while True:
        deals = repo.deals_in_currencies(
            session, wanted, after_id=after, limit=RECOMPUTE_CHUNK, open_only=open_only
        )
        if not deals:
            break
        after = deals[-1].id
        updates: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for d in deals:
            in_home, projected = deal_home_values(
                amount=d.amount,
                currency=d.currency,
                closed=d.closed,
                closedate=d.closedate,
                forecast_probability=d.forecast_probability,
                stage_probability=d.stage_probability,
                home=home,
                rates=tables.get(d.currency or ""),
                today=today,
            )
            olds = {
                "amount_in_home_currency": d.amount_in_home_currency,
                "hs_projected_amount_in_home_currency": d.projected_in_home_currency,
            }
            news = {
                "amount_in_home_currency": in_home,
                "hs_projected_amount_in_home_currency": projected,
            }
            moved = [n for n in news if not _same(news[n], olds[n])]
            if not moved:
                continue
            updates.append({"id": d.id, **news})
            history.extend(
                {
                    "object_type": "deals",
                    "record_id": d.id,
                    "name": name,
                    "value": format_value(news[name], "number"),
                    "changed_at": at,
                    "source_type": "CALCULATED",
                    "source_id": source_id,
                    "updated_by_user_id": None,
                }
                for name in moved
            )
        repo.write_home_amounts(session, updates, at)
        repo.add_history(session, history)
        changed += len(updates)
        if len(deals) < RECOMPUTE_CHUNK:
            break
    return changed


def refresh_open_deals(session: Session, today: date) -> int:
    """Bring open deals to today's rates: recompute the open deals of every currency that got
    a newly effective rate since the last run (on the first run, of every currency with
    rates). Running it again the same day changes nothing. Returns how many deals changed."""
    state = workspace.get_setting(session, _REFRESH_KEY) or {}
    last: date | None = None
    if isinstance(state.get("last_run_on"), str):
        try:
            last = date.fromisoformat(state["last_run_on"])
        except ValueError:
            last = None
    if last is not None and today <= last:
        return 0
    if last is None:
        currencies = repo.currencies_with_rates(session)
    else:
        currencies = repo.currencies_effective_between(session, last, today)
    changed = recompute_deals(
        session, currencies, today=today, open_only=True, source_id="daily-refresh"
    )
    workspace.put_setting(session, _REFRESH_KEY, {"last_run_on": today.isoformat()}, utcnow())
    return changed


# --- the deal write rule --------------------------------------------------------------------

_MONEY_INPUTS = ("deal_currency_code", "amount", "recurring_revenue_amount", "revline_term_months")


def check_deal_currency(ctx: WriteContext) -> None:
    """Normalise an incoming ``deal_currency_code`` and check it: an ISO 4217 code that is
    the home currency or has exchange rates loaded."""
    name = "deal_currency_code"
    raw = ctx.values.get(name)
    if not isinstance(raw, str):
        return
    code = raw.strip().upper()
    ctx.values[name] = code or None
    if not code:
        return
    problem = currency_problem(code)
    if problem is not None:
        ctx.problem(name, "INVALID_CURRENCY", problem)
        return
    home = home_currency(ctx.session)
    if code != home and not rate_table(ctx.session, code).days:
        ctx.problem(
            name,
            "NO_EXCHANGE_RATE",
            f"No exchange rate is loaded for {code} (the home currency is {home}); load "
            f"rates for {code} first (POST /revline/v1/exchange-rates or `revline rates load`)",
        )


def _check_not_negative(ctx: WriteContext, name: str) -> None:
    value = ctx.values.get(name)
    if isinstance(value, Decimal) and value < 0:
        ctx.problem(name, "INVALID_AMOUNT", f"{name} must not be negative")


def _check_term(ctx: WriteContext) -> None:
    name = "revline_term_months"
    value = ctx.values.get(name)
    if not isinstance(value, Decimal):
        return
    if value != value.to_integral_value():
        ctx.problem(name, "INVALID_TERM", "the term must be a whole number of months")
    elif not 1 <= value <= MAX_TERM_MONTHS:
        ctx.problem(name, "INVALID_TERM", f"the term must be 1 to {MAX_TERM_MONTHS} months")
    else:
        ctx.values[name] = Decimal(int(value))


def _put(ctx: WriteContext, name: str, value: Decimal | None) -> None:
    """Set a derived value when it differs from what the deal holds (or will be created
    with), so unchanged values add nothing to the write."""
    if name in ctx.values or ctx.current is None:
        if value is not None or name in ctx.values:
            ctx.values[name] = value
        return
    if not _same(value, ctx.current.get(name)):
        ctx.values[name] = value


def _decimal(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def apply_to_deal(ctx: WriteContext) -> None:
    """The money rules of a deal write, run after the stage rules (they read the closed flag
    and the stage probability those set): checks of the amounts and term, recurring revenue,
    the amount from the TCV, and the amounts in the home currency."""
    _check_not_negative(ctx, "amount")
    _check_not_negative(ctx, "recurring_revenue_amount")
    _check_term(ctx)
    if any(ctx.has_problem(n) for n in _MONEY_INPUTS):
        return
    recurring_given = any(
        n in ctx.values for n in ("recurring_revenue_amount", "revline_term_months")
    )
    monthly = _decimal(ctx.effective("recurring_revenue_amount"))
    term = _decimal(ctx.effective("revline_term_months"))
    if monthly is not None and term is None:
        term = Decimal(DEFAULT_TERM_MONTHS)
        _put(ctx, "revline_term_months", term)
    revenue = recurring_revenue(
        amount=_decimal(ctx.effective("amount")), monthly=monthly, term_months=term
    )
    if recurring_given and monthly is not None and "amount" not in ctx.values:
        # Like HubSpot's amount from line items: the recurring contract is the deal's value,
        # unless the write gives an amount of its own (one-off fees on top, say).
        _put(ctx, "amount", revenue.tcv)
        revenue = recurring_revenue(amount=revenue.tcv, monthly=monthly, term_months=term)
    _put(ctx, "hs_mrr", revenue.mrr)
    _put(ctx, "hs_arr", revenue.arr)
    _put(ctx, "hs_tcv", revenue.tcv)

    home = home_currency(ctx.session)
    currency = ctx.effective("deal_currency_code")
    currency = currency if isinstance(currency, str) else None
    closedate = ctx.effective("closedate")
    in_home, projected = deal_home_values(
        amount=_decimal(ctx.effective("amount")),
        currency=currency,
        closed=ctx.effective("hs_is_closed") is True,
        closedate=closedate if isinstance(closedate, datetime) else None,
        forecast_probability=_decimal(ctx.effective("hs_forecast_probability")),
        stage_probability=_decimal(ctx.effective("hs_deal_stage_probability")),
        home=home,
        rates=None if currency in (None, home) else rate_table(ctx.session, currency or ""),
        today=ctx.at.astimezone(UTC).date(),
    )
    _put(ctx, "amount_in_home_currency", in_home)
    _put(ctx, "hs_projected_amount_in_home_currency", projected)
