"""ORM classes, one module per aggregate. Importing this package registers every table."""

from revline.models.associations import Association
from revline.models.auth import ApiToken, Team, TeamMember, User
from revline.models.pipelines import Pipeline, PipelineStage
from revline.models.properties import PropertyDefinition, PropertyGroup, PropertyHistory
from revline.models.records import Company, Contact, Deal, Engagement

__all__ = [
    "ApiToken",
    "Association",
    "Company",
    "Contact",
    "Deal",
    "Engagement",
    "Pipeline",
    "PipelineStage",
    "PropertyDefinition",
    "PropertyGroup",
    "PropertyHistory",
    "Team",
    "TeamMember",
    "User",
]
