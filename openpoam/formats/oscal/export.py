"""PoamDocument -> OSCAL ``plan-of-action-and-milestones`` as plain JSON-ready data.

Per POA&M item (every uuid derived with uuid5 from the document uuid, the item uuid and
the role of the object, so export -> import -> export is identical apart from
``last-modified``):

- an observation: how the weakness was found (methods from the source, collected = the
  detection date, subjects = affected assets, relevant-evidence = evidence resources),
  plus one holding the deviation rationale when there is one;
- a risk: status, deadline, characterization facets, the planned remediation whose tasks
  are the milestones, and a risk log built from the item history and due-date changes;
- findings, for assessment sources only, one per control;
- the poam-item linking them.

Fields OSCAL has no name for are props in the product namespace (``OPENPOAM_NS``). For
FedRAMP systems the props FedRAMP defines use the FedRAMP namespace, and the records
FedRAMP's POA&M guide asks for are added (risk-adjustment and vendor-dependency
observations, likelihood/impact facets by state, on-date milestones, check-in and
closure log entries), placed as in FedRAMP's template rev5 and POA&M guide.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import quote

from openpoam.domain.poam import (
    AffectedAsset,
    EvidenceData,
    MilestoneData,
    PoamDocument,
    PoamItemData,
    Status,
)
from openpoam.formats import checkpoint
from openpoam.formats.oscal.rmf_props import rmf_props
from openpoam.formats.oscal.vocab import (
    ASSESSMENT_SOURCES,
    CVE_SYSTEM,
    EMAIL_RE,
    FEDRAMP_ID_TYPE,
    FEDRAMP_NS,
    FEDRAMP_RISK_SYSTEM,
    LEVEL3,
    NIST_NS,
    NO_PLAN,
    NO_STATEMENT,
    OPENPOAM_NS,
    OSCAL_VERSION,
    RFC4122,
    RISK_ACCEPTANCE_TYPE,
    ROOT,
    SOURCE_METHODS,
    STATUS_TO_OSCAL,
    TOOL_SOURCES,
    UUID_RE,
    control_to_oscal,
    date_time,
    day,
    derive_uuid,
    line,
    prop,
    token,
    usable_uuid,
)

PRODUCT = "OpenPOAM"
URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
DESIGNATION_NOTE = {
    "internal": "a working record of the organization, not an official submission.",
    "official": "the POA&M as submitted for review and authorization.",
}


# The entry arrays in document order; each poam-item's entries are built together.
ARRAYS = ("observations", "risks", "findings", "poam-items")
# Local definitions that grow with the POA&M (one inventory item per distinct asset: a
# scan's POA&M has hundreds of thousands), handed out and spooled like the arrays above.
LOCAL_ARRAYS = ("inventory-items",)
SPOOLED = ARRAYS + LOCAL_ARRAYS


def build(document: PoamDocument) -> tuple[dict, list[str]]:
    """The OSCAL document as a dict, and warnings about data that could not be carried."""
    builder = Builder(document)
    return {ROOT: builder.build()}, builder.warnings


class Builder:
    def __init__(self, document: PoamDocument) -> None:
        self.doc = document
        self.system = document.system
        self.fedramp = document.system.framework.is_fedramp
        # FedRAMP names its own props; elsewhere the same names live in our namespace.
        self.flag_ns = FEDRAMP_NS if self.fedramp else OPENPOAM_NS
        seed = self.system.uuid or self.system.name
        self.uuid = usable_uuid(document.uuid, "document", seed)
        self.parties: dict[str, dict] = {}
        self.components: dict[str, dict] = {}
        # The uuids of the inventory items made so far (a uuid is derived from its asset's
        # key: keeping the keys held ~450 bytes an asset); the entries themselves leave
        # with the part of the item that first names the asset (``walk``).
        self.inventory: set[str] = set()
        self.new_inventory: list[dict] = []
        self.resources: list[dict] = []
        self.owners: set[str] = set()
        self.task_uuids: dict[tuple, str] = {}
        self.now = document.generated_at or datetime.now(timezone.utc)
        self.warnings: list[str] = []

    def build(self) -> dict:
        arrays: dict[str, list] = {name: [] for name in SPOOLED}
        for part in self.walk():
            for name, entries in part.items():
                arrays[name].extend(entries)
        return self.frame(arrays)

    def walk(self) -> Iterator[dict[str, list]]:
        """Each item's observations, risk, findings and poam-item, one item at a time, with
        the inventory items of the assets it is the first to name."""
        for index, item in enumerate(self.doc.items):
            # Task uuids are the item's own (keyed by its uuid): keep one item's, not all.
            self.task_uuids.clear()
            part: dict[str, list] = {name: [] for name in ARRAYS}
            self._item(item, index, *part.values())
            part["inventory-items"], self.new_inventory = self.new_inventory, []
            yield part

    def frame(self, arrays: dict[str, list]) -> dict:
        """The document around the entry arrays; call after ``walk`` has run, since the
        metadata's parties and the local definitions are collected while walking."""
        system_resource = self._system_resource()
        out = {"uuid": self.uuid, "metadata": self._metadata(),
               "import-ssp": {"href": f"#{system_resource['uuid']}"},
               "system-id": self._system_id()}
        local = {}
        if self.components:
            local["components"] = list(self.components.values())
        if arrays.get("inventory-items"):
            local["inventory-items"] = arrays["inventory-items"]
        if local:
            out["local-definitions"] = local
        for name in ARRAYS:
            if arrays.get(name) or name == "poam-items":
                out[name] = arrays.get(name, [])
        out["back-matter"] = {"resources": [system_resource, *self.resources,
                                            *self._checkpoint_resource()]}
        return out

    def _checkpoint_resource(self) -> list[dict]:
        """The signed checkpoint of the audit trail, as the file itself (docs/audit-chain.md)."""
        if not self.doc.checkpoint:
            return []
        return [{"uuid": derive_uuid(self.uuid, "audit-checkpoint"),
                 "title": "Audit trail checkpoint",
                 "description": "The organization's audit trail as of this export: the head "
                                "of its hash chain, signed with the organization's Ed25519 "
                                "key. Check it with `openpoam history verify-export`.",
                 "props": [prop("type", "audit-checkpoint")],
                 "base64": {"filename": "audit-checkpoint.json",
                            "media-type": checkpoint.MEDIA_TYPE,
                            "value": base64.b64encode(
                                self.doc.checkpoint.encode("utf-8")).decode("ascii")}}]

    # -- document level ---------------------------------------------------------------

    def _metadata(self) -> dict:
        system, designation = self.system, self.system.designation
        props = [prop("designation", designation.label),
                 prop("framework", system.framework.value)]
        if system.impact_level:
            props.append(prop("impact-level", system.impact_level))
        roles = [_role("prepared-for", "Prepared For",
                       "The organization this POA&M was prepared for."),
                 _role("poam-item-owner", "POA&M Item Owner",
                       "The person accountable for remediating a weakness."),
                 _role("milestone-owner", "Milestone Owner",
                       "The person accountable for completing a milestone.")]
        responsible = []
        org = self._org_party()
        if org:
            responsible.append({"role-id": "prepared-for", "party-uuids": [org]})
        if self.fedramp:
            roles += [_role("cloud-service-provider", "Cloud Service Provider"),
                      _role("fedramp-pmo", "The FedRAMP Program Management Office (PMO)")]
            if org:
                responsible.append({"role-id": "cloud-service-provider", "party-uuids": [org]})
            responsible.append({"role-id": "fedramp-pmo", "party-uuids": [self._pmo_party()]})
        owners = sorted(self.owners)
        if owners:
            responsible.append({"role-id": "poam-item-owner", "party-uuids": owners})
        metadata = {
            "title": line(f"{system.name} Plan of Action and Milestones"),
            "last-modified": date_time(self.now),
            "version": line(self.doc.version) or "1.0",
            "oscal-version": OSCAL_VERSION,
            "props": props,
            "roles": roles,
        }
        if self.parties:
            metadata["parties"] = list(self.parties.values())
        if responsible:
            metadata["responsible-parties"] = responsible
        metadata["remarks"] = f"{designation.label}: {DESIGNATION_NOTE[designation.value]}"
        return metadata

    def _system_id(self) -> dict:
        value = self.system.uuid or derive_uuid(self.uuid, "system")
        # The id is the tracker's system uuid, so the RFC 4122 identifier type fits; a
        # FedRAMP package id (not a uuid) is named with FedRAMP's identifier type.
        kind = RFC4122 if UUID_RE.fullmatch(value) or not self.fedramp else FEDRAMP_ID_TYPE
        return {"identifier-type": kind, "id": value}

    def _system_resource(self) -> dict:
        """FedRAMP's "no-oscal-ssp" resource: the system in brief when no SSP is linked."""
        system = self.system
        resource = {"uuid": derive_uuid(self.uuid, "system-resource"),
                    "title": line(system.name) or "System"}
        if system.description:
            resource["description"] = system.description
        props = [prop("type", "no-oscal-ssp", self.flag_ns)]
        if system.acronym:
            props.append(prop("title-short", system.acronym, self.flag_ns))
        resource["props"] = props
        return resource

    def _org_party(self) -> str:
        if not line(self.system.organization):
            return ""
        return self._party(self.system.organization, "organization")

    def _pmo_party(self) -> str:
        # FedRAMP template rev5: the PMO party must be present in a FedRAMP POA&M.
        return self._party("Federal Risk and Authorization Management Program: "
                           "Program Management Office", "organization",
                           short_name="FedRAMP PMO", email="info@fedramp.gov")

    def _party(self, name: str, kind: str = "person", *, email: str = "",
               short_name: str = "", owner: bool = False) -> str:
        """Parties are keyed by name: one person, one party, across the document."""
        key = line(name)
        party = self.parties.get(key)
        if party is None:
            party = {"uuid": derive_uuid(self.uuid, "party", key), "type": kind, "name": key}
            if short_name:
                party["short-name"] = short_name
            self.parties[key] = party
        if email and "email-addresses" not in party:
            if EMAIL_RE.fullmatch(email):
                party["email-addresses"] = [email]
            else:
                warning = (f"{name}: the e-mail address {email!r} is not valid and was "
                           "left out of the OSCAL export")
                if warning not in self.warnings:
                    self.warnings.append(warning)
        if owner:
            self.owners.add(party["uuid"])
        return party["uuid"]

    # -- one item ---------------------------------------------------------------------

    def _item(self, item: PoamItemData, index: int, observations: list, risks: list,
              findings: list, poam_items: list) -> None:
        item_uuid = usable_uuid(item.uuid, self.uuid, "item", item.poam_id or str(index))
        base = (self.uuid, item_uuid)
        actor = self._source_actor(item)
        observation = self._observation(item, base, actor)
        observations.append(observation)
        related_obs = [observation["uuid"]]
        extras = [self._deviation_observation(item, base)]
        if self.fedramp:
            extras += [self._adjustment_observation(item, base),
                       self._vendor_observation(item, base)]
        for extra in extras:
            if extra:
                observations.append(extra)
                related_obs.append(extra["uuid"])
        risk = self._risk(item, base, actor, related_obs)
        risks.append(risk)
        item_findings = self._findings(item, base, observation["uuid"], risk["uuid"])
        findings.extend(item_findings)
        poam_items.append(self._poam_item(item, item_uuid, related_obs, risk["uuid"],
                                          [f["uuid"] for f in item_findings]))

    def _source_actor(self, item: PoamItemData) -> dict | None:
        """Who or what found the weakness: a tool component for scans, else a party."""
        detail = line(item.source_detail)
        if not detail:
            return None
        if item.source in TOOL_SOURCES:
            uuid = derive_uuid(self.uuid, "tool", detail)
            self.components.setdefault(detail, {
                "uuid": uuid, "type": "software", "title": detail,
                "description": f"The tool that reported the weakness: {detail}.",
                "status": {"state": "operational"}})
            return {"type": "tool", "actor-uuid": uuid}
        return {"type": "party", "actor-uuid": self._party(detail, "organization")}

    def _observation(self, item: PoamItemData, base: tuple, actor: dict | None) -> dict:
        props = [prop("source", item.source.value)]
        if item.source_identifier:
            props.append(prop("source-identifier", item.source_identifier))
        collected = item.detected_on
        if collected is None:
            props.append(prop("detection-date-unknown", "true"))
        obs = {"uuid": derive_uuid(*base, "observation"), "title": _title(item),
               "description": item.weakness_description or _title(item), "props": props,
               "methods": list(SOURCE_METHODS[item.source]), "types": ["finding"]}
        if actor:
            obs["origins"] = [{"actors": [dict(actor)]}]
        subjects = [self._subject(asset) for asset in item.assets]
        if subjects:
            obs["subjects"] = subjects
        evidence = [self._evidence(ev, base, n) for n, ev in enumerate(item.evidence)]
        if evidence:
            obs["relevant-evidence"] = evidence
        obs["collected"] = day(collected) if collected else self._fallback_time(item)
        return obs

    def _fallback_time(self, item: PoamItemData) -> str:
        # "collected" is required; without a detection date the first history entry (or
        # the export time) is the best known bound, flagged by detection-date-unknown.
        if item.history:
            return date_time(min(entry.at for entry in item.history))
        return date_time(self.now)

    def _subject(self, asset: AffectedAsset) -> dict:
        key = (asset.kind, asset.name, asset.ip, asset.fqdn, asset.port, asset.protocol)
        uuid = self._asset_uuid(key)
        if uuid not in self.inventory:
            self.inventory.add(uuid)
            self.new_inventory.append(self._inventory_item(asset, uuid))
        subject = {"subject-uuid": uuid, "type": "inventory-item"}
        if asset.remediated_on:
            subject["props"] = [prop("remediated-on", asset.remediated_on.isoformat())]
        return subject

    def _asset_uuid(self, key: tuple) -> str:
        return derive_uuid(self.uuid, "asset", *key)

    def _inventory_item(self, asset: AffectedAsset, uuid: str) -> dict:
        # Prop names asset-id, ipv4-address, ipv6-address, fqdn: OSCAL SSP inventory-item.
        props = []
        if asset.name:
            props.append(prop("asset-id", asset.name, ""))
        if asset.ip:
            props.append(prop("ipv6-address" if ":" in asset.ip else "ipv4-address",
                              asset.ip, ""))
        if asset.fqdn:
            props.append(prop("fqdn", asset.fqdn, ""))
        props.append(prop("asset-kind", asset.kind or "host"))
        if asset.port:
            props.append(prop("port", asset.port))
        if asset.protocol:
            props.append(prop("protocol", asset.protocol))
        return {"uuid": uuid,
                "description": asset.label or "Affected asset", "props": props}

    def _evidence(self, evidence: EvidenceData, base: tuple, index: int) -> dict:
        uuid = usable_uuid(evidence.uuid, *base, "evidence", str(index))
        resource = {"uuid": uuid, "title": line(evidence.name) or "Evidence"}
        if evidence.description:
            resource["description"] = evidence.description
        props = [prop("type", "evidence", self.flag_ns)]  # FedRAMP POA&M guide 4.5.5
        if evidence.name and evidence.name != resource["title"]:
            props.append(prop("file-name", evidence.name))
        if evidence.sha256:
            props.append(prop("sha256", evidence.sha256))
        if evidence.size:
            props.append(prop("size", str(evidence.size)))
        if evidence.media_type:
            props.append(prop("media-type", evidence.media_type))
        if evidence.uploaded_by:
            props.append(prop("uploaded-by", evidence.uploaded_by))
        if evidence.uploaded_at:
            props.append(prop("uploaded-at", date_time(evidence.uploaded_at)))
        resource["props"] = props
        if evidence.url:
            rlink = {"href": _uri_reference(evidence.url)}
            if evidence.media_type:
                rlink["media-type"] = evidence.media_type
            if evidence.sha256:
                rlink["hashes"] = [{"algorithm": "SHA-256", "value": evidence.sha256}]
            resource["rlinks"] = [rlink]
        self.resources.append(resource)
        return {"href": f"#{uuid}", "description": line(evidence.name) or "Evidence"}

    def _deviation_observation(self, item: PoamItemData, base: tuple) -> dict | None:
        """The justification for a deviation, as FedRAMP's template records it."""
        if not item.deviation_rationale:
            return None
        types = []
        if item.false_positive:
            types.append("false-positive")
        if item.operational_requirement:
            types.append("operational-requirement")
        types = types or [RISK_ACCEPTANCE_TYPE]
        collected = self._status_time(item)
        return {"uuid": derive_uuid(*base, "deviation"), "title": "Deviation justification",
                "description": item.deviation_rationale, "methods": ["EXAMINE"],
                "types": types, "collected": collected}

    def _adjustment_observation(self, item: PoamItemData, base: tuple) -> dict | None:
        """FedRAMP: a risk adjustment is justified by an observation of its own."""
        if not item.adjusted_risk:
            return None
        text = item.risk_adjustment_rationale or (
            f"Risk adjusted from {item.original_risk.label} to {item.adjusted_risk.label}.")
        return {"uuid": derive_uuid(*base, "risk-adjustment"), "title": "Risk Adjustment",
                "description": text, "methods": ["EXAMINE"], "types": ["risk-adjustment"],
                "collected": self._status_time(item)}

    def _vendor_observation(self, item: PoamItemData, base: tuple) -> dict | None:
        """FedRAMP: a vendor dependency cites the vendor's product as a component."""
        if not item.vendor_dependency:
            return None
        product = line(item.vendor_product) or "Vendor product"
        uuid = derive_uuid(self.uuid, "vendor-product", product)
        self.components.setdefault(f"\0vendor/{product}", {
            "uuid": uuid, "type": "software", "title": product,
            "description": f"The vendor product the remediation depends on: {product}.",
            "status": {"state": "operational"}})
        return {"uuid": derive_uuid(*base, "vendor-dependency"), "title": "Vendor Dependency",
                "description": f"Remediation depends on the vendor of {product}.",
                "methods": ["INTERVIEW"], "types": ["vendor-dependency"],
                "subjects": [{"subject-uuid": uuid, "type": "component"}],
                "collected": self._status_time(item)}

    def _status_time(self, item: PoamItemData) -> str:
        when = item.status_date or item.detected_on
        return day(when) if when else self._fallback_time(item)

    # -- risk -------------------------------------------------------------------------

    def _risk(self, item: PoamItemData, base: tuple, actor: dict | None,
              related_obs: list[str]) -> dict:
        risk_uuid = derive_uuid(*base, "risk")
        remediation = self._remediation(item, base)
        risk = {"uuid": risk_uuid, "title": _title(item),
                "description": item.weakness_description or _title(item),
                "statement": item.residual_risk or NO_STATEMENT,
                "props": self._risk_props(item),
                "status": STATUS_TO_OSCAL[item.status],
                "characterizations": [self._characterization(item, actor)]}
        if self.fedramp and item.adjusted_risk and item.risk_adjustment_rationale:
            # FedRAMP guide 4.5.3: a risk adjustment rests on at least one mitigating factor.
            risk["mitigating-factors"] = [{"uuid": derive_uuid(*base, "mitigating-factor"),
                                           "description": item.risk_adjustment_rationale}]
        if item.scheduled_completion:
            risk["deadline"] = day(item.scheduled_completion)
        risk["remediations"] = [remediation]
        entries = (self._history_entries(item, base)
                   + self._change_entries(item, base, remediation)
                   + self._derived_entries(item, base))
        if entries:
            risk["risk-log"] = {"entries": entries}
        risk["related-observations"] = [{"observation-uuid": u} for u in related_obs]
        return risk

    def _risk_props(self, item: PoamItemData) -> list[dict]:
        ns = self.flag_ns
        props = [prop("impacted-control-id", control_to_oscal(c.catalog, c.control_id), ns,
                      **{"class": c.catalog.value}) for c in item.controls]
        # Deviation props and their values: FedRAMP template rev5 (risk props).
        state = "approved" if item.status in (Status.RISK_ACCEPTED,
                                              Status.FALSE_POSITIVE) else "pending"
        if item.vendor_dependency:
            props.append(prop("vendor-dependency", "tracking", ns))
        if item.operational_requirement:
            props.append(prop("operational-requirement", state, ns))
        if item.false_positive:
            props.append(prop("false-positive", state, ns))
        if item.adjusted_risk:
            props.append(prop("risk-adjustment", state, ns))
        own = [("status", item.status.value),
               ("status-date", item.status_date.isoformat() if item.status_date else ""),
               ("raw-severity", item.raw_severity),
               ("vendor-product", item.vendor_product),
               ("actual-completion",
                item.actual_completion.isoformat() if item.actual_completion else ""),
               ("delayed", "true" if item.delayed else "")]
        props += [prop(name, value) for name, value in own if value]
        # BOD 22-01 props: FedRAMP POA&M guide 4.2.5 (present only when "yes").
        if item.kev:
            props.append(prop("kev-catalog", "yes", ns))
        if item.kev_due:
            props.append(prop("kev-due-date", item.kev_due.isoformat(), ns))
        return props

    def _characterization(self, item: PoamItemData, actor: dict | None) -> dict:
        system = FEDRAMP_RISK_SYSTEM if self.fedramp else NIST_NS
        initial = {"name": "state", "value": "initial"}
        facets = [{"name": "risk", "system": system, "value": item.original_risk.value,
                   "props": [initial]}]
        rationale = item.risk_adjustment_rationale
        if item.adjusted_risk:
            adjusted = {"name": "state", "value": "adjusted"}
            if rationale:
                adjusted["remarks"] = rationale
            facets.append({"name": "risk", "system": system,
                           "value": item.adjusted_risk.value, "props": [adjusted]})
        elif rationale:
            initial["remarks"] = rationale
        facets += self._likelihood_impact(item, system)
        facets += [{"name": "cve-id", "system": CVE_SYSTEM, "value": line(cve)}
                   for cve in item.cves if line(cve)]
        origin_actor = dict(actor) if actor else {"type": "tool",
                                                  "actor-uuid": self._product_component()}
        if actor and actor["type"] == "tool" and item.source_identifier and self.fedramp:
            # FedRAMP template rev5: the scanner's plugin id sits on the tool actor.
            origin_actor["props"] = [prop("plugin-id", item.source_identifier, FEDRAMP_NS)]
        return {"origin": {"actors": [origin_actor]}, "facets": facets}

    def _likelihood_impact(self, item: PoamItemData, system: str) -> list[dict]:
        """The tracker keeps one overall rating; OSCAL's likelihood and impact both get it.

        FedRAMP (POA&M guide 4.2.4, 4.5.3) wants them in its own system with a state of
        initial, plus adjusted values when the risk was adjusted.
        """
        if not self.fedramp:
            level = LEVEL3[item.effective_risk]
            return [{"name": name, "system": NIST_NS, "value": level}
                    for name in ("likelihood", "impact")]
        states = [("initial", item.original_risk)]
        if item.adjusted_risk:
            states.append(("adjusted", item.adjusted_risk))
        return [{"name": name, "system": system, "value": LEVEL3[level],
                 "props": [{"name": "state", "value": state}]}
                for state, level in states for name in ("likelihood", "impact")]

    def _product_component(self) -> str:
        uuid = derive_uuid(self.uuid, "product")
        self.components.setdefault("\0product", {
            "uuid": uuid, "type": "software", "title": PRODUCT,
            "description": "The POA&M tracker that rated the risks without a scanner.",
            "status": {"state": "operational"}})
        return uuid

    def _remediation(self, item: PoamItemData, base: tuple) -> dict:
        remediation_uuid = derive_uuid(*base, "remediation")
        response = {"uuid": remediation_uuid, "lifecycle": "planned",
                    "title": "Remediation plan",
                    "description": item.planned_remediation or NO_PLAN}
        if item.cost_estimate is not None:
            response["props"] = [prop("cost-estimate", str(item.cost_estimate))]
        if line(item.owner):
            owner = self._party(item.owner, email=item.owner_email, owner=True)
            response["origins"] = [{"actors": [{"type": "party", "actor-uuid": owner,
                                                "role-id": "poam-item-owner"}]}]
        if item.resources_required:
            response["required-assets"] = [{"uuid": derive_uuid(*base, "required-asset"),
                                            "description": item.resources_required}]
        milestones = sorted(item.milestones, key=lambda m: m.sequence)
        tasks, previous = [], item.detected_on
        for milestone in milestones:
            tasks.append(self._task(milestone, base, previous))
            previous = milestone.current_due or previous
        if tasks:
            response["tasks"] = tasks
        return response

    def _task(self, milestone: MilestoneData, base: tuple, start) -> dict:
        uuid = self._milestone_uuid(milestone, base)
        task = {"uuid": uuid, "type": "milestone",
                "title": line(milestone.description, 120) or f"Milestone {milestone.sequence}"}
        if milestone.description:
            task["description"] = milestone.description
        props = [prop("sequence", str(milestone.sequence))]
        if milestone.original_due:
            props.append(prop("original-due", milestone.original_due.isoformat()))
        if milestone.completed_on:
            props.append(prop("completed-on", milestone.completed_on.isoformat()))
        task["props"] = props
        due = milestone.current_due
        if due and start and start <= due and not self.fedramp:
            # The window the work is planned in: from the previous milestone (or detection).
            task["timing"] = {"within-date-range": {"start": day(start), "end": day(due)}}
        elif due:  # FedRAMP POA&M guide 4.3.1: milestones are timed with on-date
            task["timing"] = {"on-date": {"date": day(due)}}
        if line(milestone.owner):
            task["responsible-roles"] = [{"role-id": "milestone-owner",
                                          "party-uuids": [self._party(milestone.owner)]}]
        return task

    def _milestone_uuid(self, milestone: MilestoneData, base: tuple) -> str:
        key = (base[1], milestone.sequence, milestone.uuid)
        uuid = self.task_uuids.get(key)
        if uuid is None:
            uuid = usable_uuid(milestone.uuid, *base, "milestone", str(milestone.sequence))
            self.task_uuids[key] = uuid
        return uuid

    def _history_entries(self, item: PoamItemData, base: tuple) -> list[dict]:
        entries = []
        for n, entry in enumerate(item.history):
            title = line(" ".join(p for p in (entry.action, entry.entity, entry.field) if p))
            log = {"uuid": derive_uuid(*base, "history", str(n)),
                   "title": title or "Change"}
            # FedRAMP asks every entry for a description; the title stands in for none.
            log["description"] = entry.justification or log["title"]
            log["start"] = date_time(entry.at)
            fields = [("action", entry.action), ("entity", entry.entity),
                      ("field", entry.field), ("old-value", entry.old),
                      ("new-value", entry.new)]
            log["props"] = [prop(name, value) for name, value in fields if value]
            if line(entry.actor):
                log["logged-by"] = [{"party-uuid": self._party(entry.actor)}]
            if entry.field == "status" and entry.new in Status._value2member_map_:
                log["status-change"] = STATUS_TO_OSCAL[Status(entry.new)]
            entries.append(log)
        return entries

    def _change_entries(self, item: PoamItemData, base: tuple, remediation: dict) -> list:
        entries = []
        for milestone in sorted(item.milestones, key=lambda m: m.sequence):
            task_uuid = self._milestone_uuid(milestone, base)
            for n, change in enumerate(milestone.changes):
                log = {"uuid": derive_uuid(*base, "milestone", task_uuid, "change", str(n)),
                       "title": f"Milestone {milestone.sequence} due date changed"}
                log["description"] = change.justification or log["title"]
                log["start"] = date_time(change.changed_at)
                props = [prop("entry-kind", "due-date-change")]
                if change.old_due:
                    props.append(prop("old-due", change.old_due.isoformat()))
                if change.new_due:
                    props.append(prop("new-due", change.new_due.isoformat()))
                log["props"] = props
                if line(change.actor):
                    log["logged-by"] = [{"party-uuid": self._party(change.actor)}]
                log["related-responses"] = [{"response-uuid": remediation["uuid"],
                                             "related-tasks": [{"task-uuid": task_uuid}]}]
                entries.append(log)
        return entries

    def _derived_entries(self, item: PoamItemData, base: tuple) -> list[dict]:
        """Vendor check-in and closure entries, placed as FedRAMP's POA&M guide shows
        (4.5.4, 4.6). They restate item fields, so readers skip them (entry-kind)."""
        entries = []
        if item.vendor_last_checkin:
            product = line(item.vendor_product) or "the vendor"
            entries.append({
                "uuid": derive_uuid(*base, "vendor-check-in"), "title": "Vendor Check-in",
                "description": f"Last check-in with {product}.",
                "start": day(item.vendor_last_checkin),
                "props": [prop("vendor-dependency", "vendor-check-in", self.flag_ns),
                          prop("entry-kind", "vendor-check-in")]})
        if item.actual_completion and item.status.is_closed:
            entries.append({
                "uuid": derive_uuid(*base, "closure"), "title": "Risk Closed",
                "description": f"Closed: {item.status.label}.",
                "start": day(item.actual_completion),
                "props": [prop("entry-kind", "closure")], "status-change": "closed"})
        return entries

    # -- findings and poam-item -------------------------------------------------------

    def _findings(self, item: PoamItemData, base: tuple, observation: str,
                  risk: str) -> list[dict]:
        if item.source not in ASSESSMENT_SOURCES:
            return []
        state = "satisfied" if item.status is Status.COMPLETED else "not-satisfied"
        findings = []
        for control in item.controls:
            oscal_id = control_to_oscal(control.catalog, control.control_id)
            findings.append({
                "uuid": derive_uuid(*base, "finding", control.catalog.value,
                                    control.control_id),
                "title": line(f"{control.control_id}: {_title(item)}"),
                "description": item.weakness_description or _title(item),
                "target": {"type": "statement-id",
                           "target-id": token(f"{oscal_id}_smt", control.catalog.value),
                           "status": {"state": state}},
                "related-observations": [{"observation-uuid": observation}],
                "related-risks": [{"risk-uuid": risk}]})
        return findings

    def _poam_item(self, item: PoamItemData, item_uuid: str, related_obs: list[str],
                   risk: str, findings: list[str]) -> dict:
        ns = FEDRAMP_NS if self.fedramp else OPENPOAM_NS
        props = [prop("POAM-ID", item.poam_id, ns)] if item.poam_id else []
        props += [prop("depends-on", poam_id) for poam_id in item.depends_on]
        props += rmf_props(item)
        out = {"uuid": item_uuid, "title": _title(item),
               "description": item.weakness_description or _title(item)}
        if props:
            out["props"] = props
        if findings:
            out["related-findings"] = [{"finding-uuid": f} for f in findings]
        out["related-observations"] = [{"observation-uuid": u} for u in related_obs]
        out["related-risks"] = [{"risk-uuid": risk}]
        if item.comments:
            out["remarks"] = item.comments
        return out


def _title(item: PoamItemData) -> str:
    return line(item.title) or item.poam_id or "Untitled weakness"


def _uri_reference(url: str) -> str:
    """Percent-encode what a URI reference cannot hold (spaces, quotes); keep the rest."""
    return quote(url.strip(), safe=URI_SAFE)


def _role(role_id: str, title: str, description: str = "") -> dict:
    role = {"id": role_id, "title": title}
    if description:
        role["description"] = description
    return role


