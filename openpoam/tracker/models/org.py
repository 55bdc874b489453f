"""Tenants and who belongs to them: organizations, members, people, systems."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from openpoam.domain.poam import Designation, Framework

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,49}$",
                                "Use lower-case letters, digits and hyphens (at most 50).")


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


class Organization(models.Model):
    """The tenant. A consultant or managed service provider belongs to many."""

    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Members without a confirmed authenticator are sent to enrol one before anything else.
    require_mfa = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"  # everything, including members
    EDITOR = "editor", "Editor"  # changes POA&M items, imports scans
    ASSESSOR = "assessor", "Assessor"  # reads all, comments, verifies closures, assesses
    VIEWER = "viewer", "Viewer"  # reads only (an executive)
    # What each role may do: openpoam/accounts/permissions.py, the one table.


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"],
                                               name="one_membership_per_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class PoamIdCounter(models.Model):
    """Last POA&M sequence number used per organization and year: IDs are never reused."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "year"],
                                               name="one_counter_per_org_year")]


class Person(models.Model):
    """A named individual who can own items and milestones (may or may not log in)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="people")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="one_person_name_per_org")]

    def __str__(self) -> str:
        return self.name


class System(models.Model):
    """An information system or enclave whose POA&M is kept here."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="systems")
    slug = models.CharField(max_length=50, validators=[slug_validator])
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=30, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    framework = models.CharField(max_length=20, choices=_choices(Framework))
    impact_level = models.CharField(max_length=10, blank=True,
                                    choices=[("Low", "Low"), ("Moderate", "Moderate"),
                                             ("High", "High")])
    designation = models.CharField(max_length=10, choices=_choices(Designation),
                                   default=Designation.INTERNAL)
    description = models.TextField(blank=True)
    # When a monthly scan no longer finds a weakness anywhere: close the item (True)
    # or only propose closure for a person to confirm (False).
    auto_close = models.BooleanField(default=True)
    # FedRAMP only: the classic Rev5 POA&M, or the CR26 vulnerability rules with the
    # offering's certification class (A-D). See openpoam/domain/fedramp/cr26.
    fedramp_regime = models.CharField(max_length=10, default="classic",
                                      choices=[("classic", "Classic Rev5 POA&M"),
                                               ("cr26", "CR26 vulnerability rules (VDR/VER)")])
    cr26_class = models.CharField("CR26 certification class", max_length=1, blank=True,
                                  choices=[(c, f"Class {c}") for c in "ABCD"])
    cr26_package_uri = models.URLField("Certification Package Overview URI", blank=True,
                                       max_length=500)
    # eMASS: the service's workbook the system exports (openpoam/formats/emass_xlsx) and
    # the metadata cells of its rows 2-6.
    emass_branch = models.CharField("eMASS template", max_length=10, default="navy",
                                    choices=[("navy", "Navy"), ("army", "Army"),
                                             ("usmc", "Marine Corps"),
                                             ("legacy", "Legacy eMASS layout")])
    emass_component = models.CharField("CC/S/A/FA", max_length=200, blank=True)
    emass_registration = models.CharField("DoW IT Registration No", max_length=100, blank=True)
    emass_system_type = models.CharField("System Type", max_length=200, blank=True)
    emass_omb_project_id = models.CharField("OMB Project ID", max_length=100, blank=True)
    emass_security_costs = models.CharField("Security Costs", max_length=100, blank=True)
    emass_poc_name = models.CharField("POC Name", max_length=100, blank=True)
    emass_poc_phone = models.CharField("POC Phone", max_length=50, blank=True)
    emass_poc_email = models.EmailField("POC E-Mail", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"],
                                               name="system_slug_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def framework_enum(self) -> Framework:
        return Framework(self.framework)

    @property
    def is_cr26(self) -> bool:
        # A class is part of the regime: without one no CR26 deadline can be computed.
        return (self.framework_enum.is_fedramp and self.fedramp_regime == "cr26"
                and bool(self.cr26_class))

    @property
    def designation_enum(self) -> Designation:
        return Designation(self.designation)
