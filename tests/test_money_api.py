"""Money on deals: ISO 4217 codes, the home currency, effective-dated exchange rates (which
rate converts which deal), recompute after rate changes, the daily refresh of open deals, the
all-or-nothing CSV import, and recurring revenue. Expected values are worked out by hand."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import httpx
from starlette.testclient import TestClient

from revline.crm.money import service as money
from revline.crm.money import tasks as money_tasks
from revline.jobs import registry
from revline.kit.db import Database

RATES = "/revline/v1/exchange-rates"
HOME = "/revline/v1/settings/currency"
MONEY = (
    "amount",
    "deal_currency_code",
    "amount_in_home_currency",
    "hs_projected_amount_in_home_currency",
    "recurring_revenue_amount",
    "revline_term_months",
    "hs_mrr",
    "hs_arr",
    "hs_tcv",
)


def deal(client: TestClient, **props: Any) -> str:
    resp = client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "D", **props}})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def update(client: TestClient, deal_id: str, **props: Any) -> httpx.Response:
    return client.patch(f"/crm/v3/objects/deals/{deal_id}", json={"properties": props})


def money_of(client: TestClient, deal_id: str) -> dict[str, str | None]:
    resp = client.get(f"/crm/v3/objects/deals/{deal_id}", params={"properties": ",".join(MONEY)})
    assert resp.status_code == 200, resp.text
    props: dict[str, str | None] = resp.json()["properties"]
    return {k: props.get(k) for k in MONEY}


def home_of(client: TestClient, deal_id: str) -> tuple[str | None, str | None]:
    m = money_of(client, deal_id)
    return m["amount_in_home_currency"], m["hs_projected_amount_in_home_currency"]


def rate(client: TestClient, currency: str, day: str, value: str) -> dict[str, Any]:
    resp = client.post(RATES, json={"currency": currency, "effectiveFrom": day, "rate": value})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def load_csv(client: TestClient, text: str | bytes) -> httpx.Response:
    data = text.encode() if isinstance(text, str) else text
    return client.post(RATES + "/import", content=data, headers={"Content-Type": "text/csv"})


def problems(resp: httpx.Response, status: int = 400) -> list[dict[str, Any]]:
    assert resp.status_code == status, resp.text
    errors: list[dict[str, Any]] = resp.json()["errors"]
    return errors


def by_property(resp: httpx.Response) -> dict[str, str]:
    return {e["context"]["propertyName"][0]: e["code"] for e in problems(resp)}


# --- currencies --------------------------------------------------------------------------------


def test_currency_codes_are_iso_4217_and_need_a_rate(client: TestClient) -> None:
    for bad in ("EURO", "ABC", "12$"):
        resp = client.post(
            "/crm/v3/objects/deals",
            json={"properties": {"dealname": "X", "deal_currency_code": bad}},
        )
        assert by_property(resp) == {"deal_currency_code": "INVALID_CURRENCY"}, bad

    # The home currency needs no rate, in any case.
    usd = deal(client, amount="250.5", deal_currency_code="usd")
    assert money_of(client, usd)["deal_currency_code"] == "USD"
    assert home_of(client, usd)[0] == "250.5"

    # A real currency without rates is refused, naming the property and what to do.
    resp = client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "X", "amount": "10", "deal_currency_code": "CHF"}},
    )
    [error] = problems(resp)
    assert error["code"] == "NO_EXCHANGE_RATE"
    assert error["context"]["propertyName"] == ["deal_currency_code"]
    assert "load rates" in error["message"] and "CHF" in error["message"]
    assert problems(update(client, usd, deal_currency_code="CHF"))[0]["code"] == (
        "NO_EXCHANGE_RATE"
    )

    rate(client, "CHF", "2024-01-01", "0.88")
    chf = deal(client, amount="88", deal_currency_code="chf")
    assert money_of(client, chf)["deal_currency_code"] == "CHF"
    assert home_of(client, chf)[0] == "100"  # 88 / 0.88

    # Rates are checked the same way: a real code, and not the home currency.
    resp = client.post(RATES, json={"currency": "XYZ", "effectiveFrom": "2024-01-01", "rate": "1"})
    assert [(e["code"], e["context"]["field"]) for e in problems(resp)] == [
        ("INVALID_CURRENCY", ["currency"])
    ]
    resp = client.post(RATES, json={"currency": "USD", "effectiveFrom": "2024-01-01", "rate": "1"})
    assert problems(resp)[0]["code"] == "HOME_CURRENCY"


def test_home_currency_setting(client: TestClient) -> None:
    assert client.get(HOME).json() == {"homeCurrency": "USD"}
    no_currency = deal(client, amount="99.99")
    resp = client.put(HOME, json={"homeCurrency": "eur"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"homeCurrency": "EUR"}
    assert client.get(HOME).json() == {"homeCurrency": "EUR"}
    # A deal without a currency is in the home currency, whichever it is.
    assert home_of(client, no_currency)[0] == "99.99"
    assert home_of(client, deal(client, amount="12"))[0] == "12"

    for bad in ("EURO", "ZZZ", 978, None):
        resp = client.put(HOME, json={"homeCurrency": bad})
        [error] = problems(resp)
        assert (error["code"], error["context"]) == (
            "INVALID_CURRENCY",
            {"field": ["homeCurrency"]},
        )

    # Rates are relative to the home currency: it cannot change while any exist.
    gbp = rate(client, "GBP", "2024-01-01", "0.85")
    resp = client.put(HOME, json={"homeCurrency": "GBP"})
    assert resp.status_code == 409, resp.text
    assert "exchange rate" in resp.json()["message"]
    # Setting the same home currency again is harmless.
    assert client.put(HOME, json={"homeCurrency": "EUR"}).status_code == 200

    # Nor can the last rate of a currency that live deals are in go away.
    in_gbp = deal(client, amount="85", deal_currency_code="GBP")
    assert home_of(client, in_gbp)[0] == "100"
    resp = client.delete(f"{RATES}/{gbp['id']}")
    assert resp.status_code == 409, resp.text
    assert client.delete(f"/crm/v3/objects/deals/{in_gbp}").status_code == 204
    assert client.delete(f"{RATES}/{gbp['id']}").status_code == 204
    assert client.delete(f"{RATES}/{gbp['id']}").status_code == 404
    assert client.delete(f"{RATES}/nope").status_code == 404
    assert client.put(HOME, json={"homeCurrency": "GBP"}).status_code == 200


def test_home_currency_change_refused_while_deals_are_in_another_currency(
    client: TestClient,
) -> None:
    deal(client, amount="5", deal_currency_code="USD")
    resp = client.put(HOME, json={"homeCurrency": "EUR"})
    assert resp.status_code == 409, resp.text
    assert "1 in USD" in resp.json()["message"]


# --- which rate converts which deal ---------------------------------------------------------------


def _eur_rates(client: TestClient) -> None:
    rate(client, "EUR", "2020-01-01", "0.80")
    rate(client, "EUR", "2024-01-01", "0.90")
    # Loaded ahead of time: not in force today, so no deal uses it yet.
    rate(client, "EUR", "2999-01-01", "0.50")


def test_open_deals_use_todays_rate_closed_deals_their_close_date_rate(
    client: TestClient,
) -> None:
    _eur_rates(client)
    # Open: today's rate (0.90). 1000.10 / 0.9 = 1111.2222... -> 1111.22; weighted with the
    # first stage's 0.2: 1111.22 x 0.2 = 222.244 -> 222.24.
    open_deal = deal(client, amount="1000.10", deal_currency_code="EUR")
    assert home_of(client, open_deal) == ("1111.22", "222.24")
    # A forecast probability overrides the stage's: 1111.22 x 0.35 = 388.927 -> 388.93.
    assert update(client, open_deal, hs_forecast_probability="0.35").status_code == 200
    assert home_of(client, open_deal) == ("1111.22", "388.93")

    # Closed: the rate in force on the close date's UTC day.
    cases = {
        "2022-06-30": ("1250", "1250"),  # 1000 / 0.80
        "2019-05-01": ("1250", "1250"),  # before any rate: the earliest one (0.80)
        "2023-12-31T23:30:00Z": ("1250", "1250"),  # still 2023 in UTC
        "2024-01-01T00:30:00Z": ("1111.11", "1111.11"),  # 1000 / 0.9 = 1111.111...
    }
    for closedate, expected in cases.items():
        won = deal(
            client,
            amount="1000",
            deal_currency_code="EUR",
            dealstage="closedwon",
            closedate=closedate,
        )
        assert home_of(client, won) == expected, closedate
    lost = deal(
        client,
        amount="1000",
        deal_currency_code="EUR",
        dealstage="closedlost",
        closedate="2022-06-30",
    )
    assert home_of(client, lost) == ("1250", "0")

    # Closing the open deal switches it to its close date's rate (0.80): 1250.125 -> 1250.13.
    resp = update(client, open_deal, dealstage="closedwon", closedate="2021-03-01")
    assert resp.status_code == 200, resp.text
    assert home_of(client, open_deal) == ("1250.13", "437.55")  # x 0.35 = 437.5455
    # Reopened, it is back on today's rate.
    assert update(client, open_deal, dealstage="qualifiedtobuy").status_code == 200
    assert home_of(client, open_deal) == ("1111.22", "388.93")


def test_rounding_is_half_up_to_cents_in_decimal(client: TestClient) -> None:
    rate(client, "EUR", "2020-01-01", "2")
    rate(client, "JPY", "2020-01-01", "151.37")
    # 100.01 / 2 = 50.005: half up gives 50.01 (half even would give 50.00).
    assert home_of(client, deal(client, amount="100.01", deal_currency_code="EUR"))[0] == "50.01"
    # 0.01 / 2 = 0.005 -> 0.01; a float division would print 0.005 and round to 0.01 or 0.
    assert home_of(client, deal(client, amount="0.01", deal_currency_code="EUR"))[0] == "0.01"
    # 1234567.89 / 151.37 = 8155.959... -> 8155.96
    assert home_of(client, deal(client, amount="1234567.89", deal_currency_code="JPY"))[0] == (
        "8155.96"
    )
    # 0.3 / 0.1 style traps do not exist in Decimal: 0.3 EUR at 0.1 is exactly 3.
    rate(client, "EUR", "2020-01-01", "0.1")
    assert home_of(client, deal(client, amount="0.3", deal_currency_code="EUR"))[0] == "3"


def test_amount_change_recomputes_home_amounts(client: TestClient) -> None:
    rate(client, "EUR", "2020-01-01", "0.8")
    d = deal(client, amount="100", deal_currency_code="EUR")
    assert home_of(client, d) == ("125", "25")
    assert update(client, d, amount="200").status_code == 200
    assert home_of(client, d) == ("250", "50")
    assert update(client, d, amount="").status_code == 200
    assert home_of(client, d) == (None, None)
    assert update(client, d, amount="8", deal_currency_code="").status_code == 200
    assert home_of(client, d) == ("8", "1.6")  # no currency: the home currency


# --- rate changes -------------------------------------------------------------------------------


def _history(client: TestClient, deal_id: str, name: str) -> list[dict[str, Any]]:
    resp = client.get(f"/crm/v3/objects/deals/{deal_id}", params={"propertiesWithHistory": name})
    assert resp.status_code == 200, resp.text
    found: list[dict[str, Any]] = resp.json()["propertiesWithHistory"][name]
    return found


def test_rate_changes_recompute_deals(client: TestClient) -> None:
    first = rate(client, "EUR", "2020-01-01", "0.8")
    rate(client, "GBP", "2020-01-01", "0.5")
    closed = deal(
        client,
        amount="1000",
        deal_currency_code="EUR",
        dealstage="closedwon",
        closedate="2022-06-30",
    )
    open_eur = deal(client, amount="1000", deal_currency_code="EUR")
    gbp = deal(client, amount="1000", deal_currency_code="GBP")
    home = deal(client, amount="1000")
    assert [home_of(client, d)[0] for d in (closed, open_eur, gbp, home)] == [
        "1250",
        "1250",
        "2000",
        "1000",
    ]

    # A rate from 2022-01-01 applies to the deal closed in June 2022 and to today's open deal.
    created = client.post(
        RATES,
        json={"inputs": [{"currency": "eur", "effectiveFrom": "2022-01-01", "rate": "0.85"}]},
    )
    assert created.status_code == 201, created.text
    [new] = created.json()["results"]
    assert (new["currency"], new["effectiveFrom"], new["rate"]) == ("EUR", "2022-01-01", "0.85")
    # 1000 / 0.85 = 1176.470588... -> 1176.47; the open one weighted at 0.2: 235.294 -> 235.29
    assert home_of(client, closed) == ("1176.47", "1176.47")
    assert home_of(client, open_eur) == ("1176.47", "235.29")
    assert home_of(client, gbp)[0] == "2000"
    latest = _history(client, closed, "amount_in_home_currency")[0]
    assert (latest["value"], latest["sourceType"]) == ("1176.47", "CALCULATED")

    # A rate effective after the close date changes only the open deal.
    rate(client, "EUR", "2023-01-01", "0.9")
    assert home_of(client, closed)[0] == "1176.47"
    assert home_of(client, open_eur)[0] == "1111.11"

    # Loading the same currency and day again replaces the rate.
    replaced = rate(client, "EUR", "2023-01-01", "0.95")
    assert replaced["rate"] == "0.95"
    listed = client.get(RATES, params={"currency": "EUR"}).json()
    assert listed["homeCurrency"] == "USD"
    assert [(r["effectiveFrom"], r["rate"]) for r in listed["results"]] == [
        ("2020-01-01", "0.8"),
        ("2022-01-01", "0.85"),
        ("2023-01-01", "0.95"),
    ]
    assert home_of(client, open_eur)[0] == "1052.63"  # 1000 / 0.95 = 1052.631...

    # Deleting a rate recomputes too: the 2022 rate gone, June 2022 falls back to 0.8.
    assert client.delete(f"{RATES}/{new['id']}").status_code == 204
    assert home_of(client, closed)[0] == "1250"
    assert home_of(client, open_eur)[0] == "1052.63"
    assert client.delete(f"{RATES}/{first['id']}").status_code == 204
    # Before the earliest remaining rate (2023): that earliest rate, 0.95.
    assert home_of(client, closed)[0] == "1052.63"
    # Untouched: other currencies and home-currency deals have no CALCULATED history.
    assert {h["sourceType"] for h in _history(client, gbp, "amount_in_home_currency")} == {"API"}
    assert {h["sourceType"] for h in _history(client, home, "amount_in_home_currency")} == {"API"}


def test_listing_rates_pages_and_checks_its_filters(client: TestClient) -> None:
    for i, cur in enumerate(("GBP", "EUR", "CHF")):
        for day in ("2024-02-01", "2024-01-01"):
            rate(client, cur, day, f"0.{i + 5}")
    seen = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if after:
            params["after"] = after
        body = client.get(RATES, params=params).json()
        seen += [(r["currency"], r["effectiveFrom"]) for r in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert seen == [(c, d) for c in ("CHF", "EUR", "GBP") for d in ("2024-01-01", "2024-02-01")]
    assert problems(client.get(RATES, params={"currency": "EURO"}))[0]["code"] == (
        "INVALID_CURRENCY"
    )
    assert problems(client.get(RATES, params={"after": "garbage"}))[0]["code"] == "INVALID_CURSOR"
    assert problems(client.get(RATES, params={"limit": 0}))[0]["code"] == "INVALID_LIMIT"


def test_rate_inputs_are_validated_all_or_nothing(client: TestClient) -> None:
    resp = client.post(
        RATES,
        json={
            "inputs": [
                {"currency": "EUR", "effectiveFrom": "2024-01-01", "rate": "0.9"},
                {"currency": "EUR", "effectiveFrom": "2024-02-30", "rate": "0"},
                {"currency": "EUR", "effectiveFrom": "01/03/2024", "rate": "-1"},
                {"currency": "EUR", "effectiveFrom": "2024-01-01", "rate": "0.91"},
                {"currency": "EU", "effectiveFrom": "2024-01-01", "rate": True},
                "nope",
            ]
        },
    )
    got = [
        (e["context"].get("inputs"), e["context"].get("field"), e["code"]) for e in problems(resp)
    ]
    assert got == [
        (["1"], ["effectiveFrom"], "INVALID_DATE"),
        (["1"], ["rate"], "INVALID_RATE"),
        (["2"], ["effectiveFrom"], "INVALID_DATE"),
        (["2"], ["rate"], "INVALID_RATE"),
        (["3"], ["effectiveFrom"], "DUPLICATE_RATE"),
        (["4"], ["currency"], "INVALID_CURRENCY"),
        (["4"], ["rate"], "INVALID_RATE"),
        (["5"], None, "INVALID_INPUT"),
    ]
    assert client.get(RATES).json()["results"] == []
    for body in ([], {"inputs": []}, {"inputs": "x"}, "text", None):
        assert problems(client.post(RATES, json=body))[0]["code"] == "INVALID_INPUT"
    resp = client.post(
        RATES, json={"currency": "EUR", "effectiveFrom": "2024-01-01", "rate": "1e13"}
    )
    assert problems(resp)[0]["context"] == {"field": ["rate"]}


# --- CSV import ---------------------------------------------------------------------------------


def test_csv_import_is_all_or_nothing_with_row_errors(client: TestClient) -> None:
    eur = deal(client, amount="1000", deal_currency_code="USD")
    bad = (
        "currency,effective_from,rate\n"
        "EUR,2024-01-01,0.9\n"
        "EURO,2024-01-01,0.9\n"
        "GBP,2024-13-01,0.8\n"
        "\n"
        "GBP,2024-01-01,-0.8\n"
        "CHF,2024-01-01,abc\n"
        "EUR,2024-01-01,0.91\n"
        "JPY,2024-01-01\n"
        "USD,2024-01-01,1\n"
    )
    errors = problems(load_csv(client, bad))
    got = [(e["context"]["line"][0], e["context"]["field"][0], e["code"]) for e in errors]
    assert got == [
        ("3", "currency", "INVALID_CURRENCY"),
        ("4", "effective_from", "INVALID_DATE"),
        ("6", "rate", "INVALID_RATE"),
        ("7", "rate", "INVALID_RATE"),
        ("8", "effective_from", "DUPLICATE_RATE"),
        ("9", "rate", "INVALID_RATE"),
        ("10", "currency", "HOME_CURRENCY"),
    ]
    assert errors[0]["message"].startswith("line 3, currency: ")
    assert client.get(RATES).json()["results"] == []  # nothing was written

    good = (
        "\ufeffCurrency, Effective_From ,Rate,source\n"  # a BOM, spaces, case, extra column
        "EUR,2024-01-01,0.9,ecb\n"
        "EUR,2025-01-01,0.95,ecb\n"
        '"GBP",2024-01-01,"0.8",boe\n'
    )
    resp = load_csv(client, good.encode("utf-8"))
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "rows": 3,
        "created": 3,
        "replaced": 0,
        "currencies": ["EUR", "GBP"],
        "recomputedDeals": 0,
    }
    assert update(client, eur, deal_currency_code="EUR").status_code == 200
    assert home_of(client, eur)[0] == "1052.63"  # today: 1000 / 0.95

    # Loading again replaces what is there, and the deals follow.
    resp = load_csv(client, "currency,effective_from,rate\nEUR,2025-01-01,0.8\n")
    assert resp.json() == {
        "rows": 1,
        "created": 0,
        "replaced": 1,
        "currencies": ["EUR"],
        "recomputedDeals": 1,
    }
    assert home_of(client, eur)[0] == "1250"
    assert len(client.get(RATES).json()["results"]) == 3

    for text, code in (
        ("", "INVALID_HEADER"),
        ("currency,rate\nEUR,0.9\n", "INVALID_HEADER"),
        ("currency,effective_from,rate\n", "NO_RATES"),
        # An unclosed quote swallows the rest of the file into one cell.
        ('currency,effective_from,rate\n"EUR,2024-01-01,0.9\n', "INVALID_CURRENCY"),
    ):
        assert problems(load_csv(client, text))[0]["code"] == code, text
    assert problems(load_csv(client, b"currency,effective_from,rate\n\xff\xfe,x,y\n"))[0][
        "code"
    ] == ("INVALID_ENCODING")


# --- recurring revenue --------------------------------------------------------------------------


def test_recurring_revenue_and_amount_from_tcv(client: TestClient) -> None:
    # Recurring only: term defaults to 12; MRR 1000, ARR 12 x 1000, TCV 1000 x 12 = amount.
    d = deal(client, recurring_revenue_amount="1000")
    assert money_of(client, d) == {
        "amount": "12000",
        "deal_currency_code": None,
        "amount_in_home_currency": "12000",
        "hs_projected_amount_in_home_currency": "2400",
        "recurring_revenue_amount": "1000",
        "revline_term_months": "12",
        "hs_mrr": "1000",
        "hs_arr": "12000",
        "hs_tcv": "12000",
    }
    # A longer term: TCV 1000 x 36 = 36000, and the amount follows it; ARR does not change.
    assert update(client, d, revline_term_months="36").status_code == 200
    m = money_of(client, d)
    assert (m["amount"], m["hs_mrr"], m["hs_arr"], m["hs_tcv"]) == (
        "36000",
        "1000",
        "12000",
        "36000",
    )

    # An explicit amount wins over the TCV: one-off fees plus the recurring part.
    d2 = deal(client, amount="5000", recurring_revenue_amount="99.99", revline_term_months="24")
    m = money_of(client, d2)
    assert (m["amount"], m["hs_mrr"], m["hs_arr"], m["hs_tcv"]) == (
        "5000",
        "99.99",
        "1199.88",  # 12 x 99.99
        "2399.76",  # 24 x 99.99
    )
    # Changing only the amount keeps the recurring figures.
    assert update(client, d2, amount="4000").status_code == 200
    assert money_of(client, d2)["hs_tcv"] == "2399.76"

    # One-off deal: no MRR or ARR; TCV = amount.
    d3 = deal(client, amount="3000")
    m = money_of(client, d3)
    assert (m["hs_mrr"], m["hs_arr"], m["hs_tcv"], m["revline_term_months"]) == (
        None,
        None,
        "3000",
        None,
    )
    # Clearing the recurring amount makes a deal one-off again; its amount stays.
    assert update(client, d, recurring_revenue_amount="").status_code == 200
    m = money_of(client, d)
    assert (m["amount"], m["hs_mrr"], m["hs_arr"], m["hs_tcv"]) == ("36000", None, None, "36000")

    # In a foreign currency: the TCV is the amount, converted like any amount.
    rate(client, "EUR", "2020-01-01", "0.8")
    d4 = deal(
        client, deal_currency_code="EUR", recurring_revenue_amount="100", revline_term_months="6"
    )
    m = money_of(client, d4)
    assert (m["amount"], m["hs_tcv"], m["amount_in_home_currency"]) == ("600", "600", "750")


def test_recurring_revenue_validation_names_the_property(client: TestClient) -> None:
    cases = [
        ({"amount": "-1"}, {"amount": "INVALID_AMOUNT"}),
        ({"recurring_revenue_amount": "-5"}, {"recurring_revenue_amount": "INVALID_AMOUNT"}),
        ({"recurring_revenue_amount": "5", "revline_term_months": "12.5"}, None),
        ({"revline_term_months": "0"}, None),
        ({"revline_term_months": "601"}, None),
        ({"revline_term_months": "-3"}, None),
        ({"revline_term_months": "twelve"}, {"revline_term_months": "INVALID_NUMBER"}),
    ]
    for props, expected in cases:
        resp = client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "X", **props}})
        assert by_property(resp) == (expected or {"revline_term_months": "INVALID_TERM"}), props
    d = deal(client, recurring_revenue_amount="10", revline_term_months="600.0")
    assert money_of(client, d)["hs_tcv"] == "6000"
    assert by_property(update(client, d, revline_term_months="1.5")) == {
        "revline_term_months": "INVALID_TERM"
    }


def test_batch_writes_apply_the_money_rules(client: TestClient) -> None:
    rate(client, "EUR", "2020-01-01", "0.8")
    resp = client.post(
        "/crm/v3/objects/deals/batch/create",
        json={
            "inputs": [
                {"properties": {"dealname": "A", "amount": "100", "deal_currency_code": "EUR"}},
                {"properties": {"dealname": "B", "recurring_revenue_amount": "10"}},
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    ids = {r["properties"]["dealname"]: r["id"] for r in resp.json()["results"]}
    assert home_of(client, ids["A"]) == ("125", "25")
    assert money_of(client, ids["B"])["amount"] == "120"
    resp = client.post(
        "/crm/v3/objects/deals/batch/update",
        json={"inputs": [{"id": ids["A"], "properties": {"amount": "200"}}]},
    )
    assert resp.status_code == 200, resp.text
    assert home_of(client, ids["A"]) == ("250", "50")


# --- the daily refresh --------------------------------------------------------------------------


def test_daily_refresh_moves_open_deals_to_newly_effective_rates(
    database: Database, client: TestClient
) -> None:
    _eur_rates(client)  # 0.80 from 2020, 0.90 from 2024, 0.50 from 2999
    open_deal = deal(client, amount="1000", deal_currency_code="EUR")
    closed = deal(
        client,
        amount="1000",
        deal_currency_code="EUR",
        dealstage="closedwon",
        closedate="2022-06-30",
    )
    assert home_of(client, open_deal) == ("1111.11", "222.22")

    # The first run recomputes every currency with rates; on 2999-01-02 the 0.50 is in force.
    with database.unit_of_work() as session:
        assert money.refresh_open_deals(session, date(2999, 1, 2)) == 1
    assert home_of(client, open_deal) == ("2000", "400")
    assert home_of(client, closed) == ("1250", "1250")
    # Idempotent: the same day again changes nothing.
    with database.unit_of_work() as session:
        assert money.refresh_open_deals(session, date(2999, 1, 2)) == 0

    # A rate that takes effect later is picked up by the run on or after its day.
    with database.unit_of_work() as session:
        money.store_rates(
            session,
            [money.RateInput("EUR", date(3000, 1, 1), Decimal("0.25"))],
            today=date(2999, 1, 2),
        )
    assert home_of(client, open_deal)[0] == "2000"
    with database.unit_of_work() as session:
        assert money.refresh_open_deals(session, date(2999, 12, 31)) == 0
        assert money.refresh_open_deals(session, date(3000, 1, 1)) == 1
    assert home_of(client, open_deal) == ("4000", "800")
    latest = _history(client, open_deal, "amount_in_home_currency")[0]
    assert (latest["value"], latest["sourceType"], latest["sourceId"]) == (
        "4000",
        "CALCULATED",
        "daily-refresh",
    )


def test_refresh_job_and_schedule_are_registered() -> None:
    assert registry.handler_for("money.refresh_open_deals") is money_tasks.refresh_open_deals
    [schedule] = [s for s in registry.schedules() if s.name == "money-refresh"]
    assert (schedule.kind, schedule.every.days, schedule.at) == (
        "money.refresh_open_deals",
        1,
        time(0, 5),
    )


def test_pure_functions() -> None:
    table = money.RateTable((date(2024, 1, 1), date(2025, 1, 1)), (Decimal("0.9"), Decimal("0.8")))
    assert table.in_force(date(2023, 1, 1)) == Decimal("0.9")  # earliest
    assert table.in_force(date(2024, 12, 31)) == Decimal("0.9")
    assert table.in_force(date(2025, 1, 1)) == Decimal("0.8")
    assert money.RateTable().in_force(date(2025, 1, 1)) is None
    assert money.to_home_currency(Decimal("1000.10"), Decimal("0.9")) == Decimal("1111.22")
    assert money.to_home_currency(Decimal("-100.01"), Decimal("2")) == Decimal("-50.01")
    revenue = money.recurring_revenue(amount=None, monthly=Decimal("250"), term_months=None)
    assert (revenue.mrr, revenue.arr, revenue.tcv) == (250, 3000, 3000)
