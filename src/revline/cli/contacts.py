"""`revline contacts`: working leads from the command line."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from revline.cli.common import DatabaseUrl, console, fail, make_settings, open_database
from revline.crm.records.context import WriteSource
from revline.errors import RevlineError
from revline.lifecycle import conversion

app = typer.Typer(help="Contacts: lead conversion.", no_args_is_help=True)


@app.command("convert")
def convert(
    contact_id: Annotated[str, typer.Argument(help="The contact to convert")],
    company_id: Annotated[str | None, typer.Option(help="Use this company")] = None,
    no_company_match: Annotated[
        bool, typer.Option("--no-company-match", help="Do not look for a matching company")
    ] = False,
    no_company_create: Annotated[
        bool, typer.Option("--no-company-create", help="Never create a company")
    ] = False,
    deal: Annotated[bool, typer.Option("--deal", help="Also open a deal")] = False,
    deal_name: Annotated[str | None, typer.Option()] = None,
    amount: Annotated[Decimal | None, typer.Option()] = None,
    pipeline: Annotated[str | None, typer.Option()] = None,
    stage: Annotated[str | None, typer.Option(help="Deal stage id")] = None,
    close_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    owner_id: Annotated[str | None, typer.Option(help="Deal owner")] = None,
    lifecycle_stage: Annotated[
        str | None, typer.Option(help="salesqualifiedlead or opportunity")
    ] = None,
    lead_status: Annotated[str, typer.Option(help="A converted-group status")] = "OPEN_DEAL",
    database_url: DatabaseUrl = None,
) -> None:
    """Convert a contact: match or create its company, optionally open a deal."""
    body: dict[str, Any] = {
        "matchCompany": not no_company_match,
        "createCompany": not no_company_create,
        "leadStatus": lead_status,
    }
    if company_id is not None:
        body["company"] = {"id": company_id}
    if lifecycle_stage is not None:
        body["lifecycleStage"] = lifecycle_stage
    if deal:
        deal_props = {
            "dealname": deal_name,
            "amount": None if amount is None else str(amount),
            "pipeline": pipeline,
            "dealstage": stage,
            "closedate": close_date,
            "hubspot_owner_id": owner_id,
        }
        body["deal"] = {"properties": {k: v for k, v in deal_props.items() if v is not None}}
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            result = conversion.convert_contact(
                session, contact_id, body, source=WriteSource("CRM_UI", "cli", None)
            )
    except RevlineError as error:
        fail(error)
        return
    finally:
        db.dispose()
    if result.already_converted:
        console.print(f"Contact {result.contact_id} was already converted:")
    else:
        console.print(f"Converted contact {result.contact_id}:")
    if result.company_id is None:
        console.print("  company: none")
    else:
        how = "created" if result.company_created else f"matched by {result.company_matched_by}"
        score = result.company_match_score
        score_text = "" if score is None else f", score {score}"
        console.print(f"  company: {result.company_id} ({how}{score_text})")
    console.print(f"  deal: {result.deal_id if result.deal_id is not None else 'none'}")
    console.print(f"  lifecycle stage: {result.lifecycle_stage}, lead status: {result.lead_status}")
