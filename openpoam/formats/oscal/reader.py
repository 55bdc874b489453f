"""OSCAL ``plan-of-action-and-milestones`` data (already schema-valid) -> PoamDocument.

Reads what our exporter writes exactly, and other tools' POA&Ms (NIST's example, FedRAMP's
template) on a best-effort basis: FedRAMP props in either namespace, risk levels from the
FedRAMP ``risk`` facet or from likelihood/impact, milestones from the planned remediation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpoam.domain.poam import (
    AffectedAsset,
    Catalog,
    ControlRef,
    Designation,
    DueDateChange,
    EvidenceData,
    Framework,
    HistoryEntry,
    MilestoneData,
    PoamDocument,
    PoamItemData,
    Risk,
    Source,
    Status,
    SystemData,
)
from openpoam.formats.base import FormatError
from openpoam.formats.poam_ids import each_id_once, first_of_each_id
from openpoam.formats.oscal.rmf_props import read_rmf
from openpoam.formats.oscal.vocab import (
    CVE_SYSTEM,
    DEVIATION_TYPES,
    FEDRAMP_NS,
    NO_PLAN,
    NO_STATEMENT,
    OPENPOAM_NS,
    OSCAL_TO_STATUS,
    RISK_ACCEPTANCE_TYPE,
    ROOT,
    control_from_oscal,
    parse_date_time,
    parse_day,
    prop_text,
)

OUR_NAMESPACES = (OPENPOAM_NS, FEDRAMP_NS)
# Observations that justify or track a weakness rather than record how it was found
# (FedRAMP POA&M guide 4.4-4.6), and those whose description is the deviation rationale.
NOT_FINDING_TYPES = frozenset({*DEVIATION_TYPES, RISK_ACCEPTANCE_TYPE, "vendor-dependency",
                               "closure", "risk-tracking"})
RATIONALE_TYPES = frozenset({"false-positive", "operational-requirement",
                             RISK_ACCEPTANCE_TYPE})
DERIVED_ENTRIES = frozenset({"closure", "vendor-check-in"})
PLAN_SUFFIX = " Plan of Action and Milestones"


@dataclass(slots=True)
class _Props:
    """Props of one object, looked up by name in our namespaces (or none)."""

    raw: list[dict]

    def get(self, name: str, default: str = "") -> str:
        for p in self.raw:
            if p.get("name") == name and p.get("ns") in OUR_NAMESPACES:
                return prop_text(p.get("value", ""))
        for p in self.raw:  # props without a namespace, as other tools write them
            if p.get("name") == name and "ns" not in p:
                return prop_text(p.get("value", ""))
        return default

    def all(self, name: str) -> list[dict]:
        return [p for p in self.raw if p.get("name") == name]

    def has(self, name: str) -> bool:
        return any(p.get("name") == name for p in self.raw)


def props(obj: dict) -> _Props:
    return _Props(obj.get("props", []))


def read_document(data: dict, *, source: str,
                  warnings: list[str] | None = None) -> PoamDocument:
    """The document; a POAM ID listed twice keeps its first item (poam_ids), warned."""
    return _Reader(data[ROOT], source).read([] if warnings is None else warnings)


def stream_document(data: dict, *, source: str, warnings: list[str]) -> PoamDocument:
    """``read_document`` with the items mapped as they are iterated (each POAM ID once,
    a repeat warned in ``warnings``), for an import that writes them in batches."""
    return _Reader(data[ROOT], source).stream(warnings)


class _Reader:
    def __init__(self, poam: dict, source: str) -> None:
        self.poam = poam
        self.source = source
        metadata = poam["metadata"]
        self.metadata = metadata
        self.native = props(metadata).get("designation") != ""
        self.parties = {p["uuid"]: p for p in metadata.get("parties", [])}
        local = poam.get("local-definitions", {})
        self.components = _by_uuid(local.get("components", []))
        self.inventory = _by_uuid(local.get("inventory-items", []))
        self.observations = _by_uuid(poam.get("observations", []))
        self.risks = _by_uuid(poam.get("risks", []))
        self.resources = _by_uuid(poam.get("back-matter", {}).get("resources", []))

    def read(self, warnings: list[str]) -> PoamDocument:
        metadata = self.metadata
        placed = [(self._item(item, n), f"poam-items[{n}]")
                  for n, item in enumerate(self.poam["poam-items"])]
        items = first_of_each_id(placed, source=self.source, warnings=warnings)
        return PoamDocument(system=self._system(items), items=items,
                            generated_at=parse_date_time(metadata["last-modified"]),
                            version=metadata["version"], uuid=self.poam["uuid"])

    def stream(self, warnings: list[str]) -> PoamDocument:
        metadata = self.metadata
        placed = ((self._item(item, n), f"poam-items[{n}]")
                  for n, item in enumerate(self.poam["poam-items"]))
        items = each_id_once(placed, source=self.source, warnings=warnings)
        return PoamDocument(system=self._system([]), items=items,  # type: ignore[arg-type]
                            generated_at=parse_date_time(metadata["last-modified"]),
                            version=metadata["version"], uuid=self.poam["uuid"])

    # -- system -----------------------------------------------------------------------

    def _system(self, items: list[PoamItemData]) -> SystemData:
        meta = props(self.metadata)
        resource = self._system_resource()
        name = resource.get("title", "") if resource else ""
        if not name:
            title = self.metadata["title"]
            name = title[: -len(PLAN_SUFFIX)] if title.endswith(PLAN_SUFFIX) else title
        framework = self._framework(meta.get("framework"))
        designation = self._designation(meta.get("designation"))
        system_id = self.poam.get("system-id", {}).get("id", "")
        return SystemData(
            name=name,
            acronym=props(resource).get("title-short") if resource else "",
            organization=self._organization(),
            framework=framework,
            impact_level=meta.get("impact-level"),
            designation=designation,
            uuid=system_id,
            description=resource.get("description", "") if resource else "")

    def _system_resource(self) -> dict | None:
        href = self.poam.get("import-ssp", {}).get("href", "")
        if href.startswith("#") and href[1:] in self.resources:
            resource = self.resources[href[1:]]
            if props(resource).get("type") == "no-oscal-ssp":
                return resource
        for resource in self.resources.values():
            if props(resource).get("type") == "no-oscal-ssp":
                return resource
        return None

    def _framework(self, value: str) -> Framework:
        if value in Framework._value2member_map_:
            return Framework(value)
        if self._mentions_fedramp():
            return Framework.FEDRAMP_MODERATE
        return Framework.RMF

    def _mentions_fedramp(self) -> bool:
        if self.poam.get("system-id", {}).get("identifier-type", "").startswith(
                "https://fedramp.gov"):
            return True
        return any(p.get("ns") == FEDRAMP_NS for p in self.metadata.get("props", []))

    def _designation(self, value: str) -> Designation:
        for designation in Designation:
            if value == designation.label:
                return designation
        remarks = self.metadata.get("remarks", "")
        if remarks.startswith(Designation.OFFICIAL.label):
            return Designation.OFFICIAL
        return Designation.INTERNAL

    def _organization(self) -> str:
        for role in ("prepared-for", "cloud-service-provider"):
            for party in self._role_parties(role):
                return party.get("name", "")
        return ""

    def _role_parties(self, role_id: str) -> list[dict]:
        out = []
        for entry in self.metadata.get("responsible-parties", []):
            if entry.get("role-id") == role_id:
                out += [self.parties[u] for u in entry["party-uuids"] if u in self.parties]
        return out

    def _party_name(self, uuid: str) -> str:
        party = self.parties.get(uuid)
        return party.get("name", "") if party else ""

    # -- one item ---------------------------------------------------------------------

    def _item(self, entry: dict, index: int) -> PoamItemData:
        observations = [self.observations[r["observation-uuid"]]
                        for r in entry.get("related-observations", [])
                        if r["observation-uuid"] in self.observations]
        finding = next((o for o in observations
                        if not NOT_FINDING_TYPES & set(o.get("types", []))), None)
        if finding is None and observations:
            finding = observations[0]
        deviation = next((o for o in observations if o is not finding and
                          RATIONALE_TYPES & set(o.get("types", []))), None)
        risk = self._risk_for(entry, observations)
        item = PoamItemData(poam_id=self._poam_id(entry, index), title=entry["title"],
                            uuid=entry.get("uuid", ""))
        item.depends_on = [prop_text(p["value"]) for p in props(entry).all("depends-on")]
        item.rmf = read_rmf(props(entry).get)
        item.comments = entry.get("remarks", "")
        item.weakness_description = (risk or finding or entry).get("description", "")
        if finding:
            self._observation(item, finding)
        if deviation:
            item.deviation_rationale = deviation.get("description", "")
        if risk:
            self._risk(item, risk)
        return item

    def _poam_id(self, entry: dict, index: int) -> str:
        for p in entry.get("props", []):
            if p.get("name") in ("POAM-ID", "poam-id"):
                return prop_text(p["value"])
        return f"POAM-{index + 1:04d}"

    def _risk_for(self, entry: dict, observations: list[dict]) -> dict | None:
        for ref in entry.get("related-risks", []):
            risk = self.risks.get(ref["risk-uuid"])  # one lookup: entries may be on disk
            if risk is not None:
                return risk
        # A dangling risk reference (NIST's own example has one): fall back to the risk
        # that cites the same observation.
        seen = {o["uuid"] for o in observations}
        for risk in self.risks.values():
            if any(r["observation-uuid"] in seen for r in risk.get("related-observations", [])):
                return risk
        return None

    def _observation(self, item: PoamItemData, obs: dict) -> None:
        own = props(obs)
        origins = obs.get("origins", [])
        actor = _first_actor(origins, "tool") or _first_actor(origins)
        item.source = self._source(own.get("source"), obs, actor)
        item.source_identifier = own.get("source-identifier")
        item.source_detail = self._actor_name(actor) if actor else ""
        if not own.get("detection-date-unknown"):
            item.detected_on = parse_day(obs["collected"])
        item.assets = [a for a in (self._asset(s) for s in obs.get("subjects", [])) if a]
        item.evidence = [self._evidence(e) for e in obs.get("relevant-evidence", [])]

    def _source(self, value: str, obs: dict, actor: dict | None) -> Source:
        if value in Source._value2member_map_:
            return Source(value)
        if actor and actor.get("type") == "tool":
            return Source.VULNERABILITY_SCAN
        methods = set(obs.get("methods", []))
        if methods & {"EXAMINE", "INTERVIEW", "TEST"}:
            return Source.THIRD_PARTY_ASSESSMENT
        return Source.OTHER

    def _actor_name(self, actor: dict) -> str:
        uuid = actor.get("actor-uuid", "")
        component = self.components.get(uuid)
        if component is not None:
            return component.get("title", "")
        return self._party_name(uuid)

    def _asset(self, subject: dict) -> AffectedAsset | None:
        uuid = subject["subject-uuid"]
        remediated = props(subject).get("remediated-on")
        inventory_item = self.inventory.get(uuid)
        if inventory_item is not None:
            inv = props(inventory_item)
            return AffectedAsset(
                name=inv.get("asset-id"), kind=inv.get("asset-kind", "host"),
                ip=inv.get("ipv4-address") or inv.get("ipv6-address"), fqdn=inv.get("fqdn"),
                port=inv.get("port"), protocol=inv.get("protocol"),
                remediated_on=parse_day(remediated) if remediated else None)
        component = self.components.get(uuid)
        if component is not None:
            return AffectedAsset(name=component.get("title", ""), kind="component")
        return None

    def _evidence(self, ref: dict) -> EvidenceData:
        href = ref.get("href", "")
        resource = self.resources.get(href[1:]) if href.startswith("#") else None
        if resource is None:
            return EvidenceData(name=ref.get("description", "") or href, url=href)
        own = props(resource)
        rlinks = resource.get("rlinks", [])
        uploaded_at = own.get("uploaded-at")
        size = own.get("size")
        return EvidenceData(
            name=own.get("file-name") or resource.get("title", ""), uuid=resource["uuid"],
            url=rlinks[0]["href"] if rlinks else "", sha256=own.get("sha256"),
            size=int(size) if size.isdigit() else 0, media_type=own.get("media-type"),
            uploaded_by=own.get("uploaded-by"),
            uploaded_at=parse_date_time(uploaded_at) if uploaded_at else None,
            description=resource.get("description", ""))

    # -- risk -------------------------------------------------------------------------

    def _risk(self, item: PoamItemData, risk: dict) -> None:
        own = props(risk)
        statement = risk.get("statement", "")
        item.residual_risk = "" if statement == NO_STATEMENT else statement
        item.controls = [self._control(p) for p in own.all("impacted-control-id")]
        item.vendor_dependency = own.has("vendor-dependency")
        item.operational_requirement = _flag(own, "operational-requirement")
        item.false_positive = _flag(own, "false-positive")
        item.status = self._status(own.get("status"), risk, item)
        item.status_date = _day(own.get("status-date"))
        item.raw_severity = own.get("raw-severity")
        item.vendor_product = own.get("vendor-product")
        item.actual_completion = _day(own.get("actual-completion")) or \
            self._closed_on(risk)
        item.kev = own.get("kev-catalog") == "yes"
        item.kev_due = _day(own.get("kev-due-date"))
        item.delayed = own.get("delayed") == "true"
        if risk.get("deadline"):
            item.scheduled_completion = parse_day(risk["deadline"])
        self._characterizations(item, risk.get("characterizations", []))
        planned = self._planned(risk)
        if planned:
            self._remediation(item, planned)
        self._risk_log(item, risk.get("risk-log", {}).get("entries", []), planned)

    def _control(self, p: dict) -> ControlRef:
        value = prop_text(p["value"])
        catalog_name = p.get("class", "")
        if catalog_name in Catalog._value2member_map_:
            catalog = Catalog(catalog_name)
        else:  # FedRAMP's control ids are NIST SP 800-53 (rev 5 for rev5 POA&Ms)
            catalog = Catalog.NIST_800_53_R5
        return ControlRef(catalog=catalog, control_id=control_from_oscal(catalog, value))

    def _status(self, value: str, risk: dict, item: PoamItemData) -> Status:
        if value in Status._value2member_map_:
            return Status(value)
        status = OSCAL_TO_STATUS.get(risk.get("status", "open"), Status.OPEN)
        if status is Status.COMPLETED and item.false_positive:
            return Status.FALSE_POSITIVE
        return status

    def _closed_on(self, risk: dict):
        if self.native:
            return None
        for entry in risk.get("risk-log", {}).get("entries", []):
            if entry.get("status-change") == "closed":
                return parse_day(entry["start"])
        return None

    def _characterizations(self, item: PoamItemData, characterizations: list[dict]) -> None:
        """Risk levels from the "risk" facet, else from likelihood and impact, by state."""
        levels: dict[tuple[str, str], Risk] = {}
        for characterization in characterizations:
            for facet in characterization.get("facets", []):
                self._facet(item, facet, levels)
            if not item.source_identifier:
                item.source_identifier = _tool_plugin_id(characterization)
        initial = levels.get(("risk", "initial")) or _pair(levels, "initial")
        adjusted = levels.get(("risk", "adjusted")) or _pair(levels, "adjusted")
        item.original_risk = initial or adjusted or Risk.MODERATE
        item.adjusted_risk = adjusted if initial else None

    def _facet(self, item: PoamItemData, facet: dict, levels: dict) -> None:
        name, value = facet.get("name"), str(facet.get("value", "")).lower()
        if name in ("risk", "likelihood", "impact") and value in Risk._value2member_map_:
            state_props = props(facet).all("state")
            state = state_props[0].get("value", "initial") if state_props else "initial"
            levels.setdefault((name, state), Risk(value))
            remarks = state_props[0].get("remarks", "") if state_props else ""
            if remarks and (state == "adjusted" or not item.risk_adjustment_rationale):
                item.risk_adjustment_rationale = remarks
        elif name == "cve-id" and facet.get("system", "").rstrip("/") == CVE_SYSTEM:
            item.cves.append(facet["value"])

    def _planned(self, risk: dict) -> dict | None:
        remediations = risk.get("remediations", [])
        return next((r for r in remediations if r.get("lifecycle") == "planned"),
                    remediations[0] if remediations else None)

    def _remediation(self, item: PoamItemData, response: dict) -> None:
        description = response.get("description", "")
        item.planned_remediation = "" if description == NO_PLAN else description
        cost = props(response).get("cost-estimate")
        if cost:
            try:
                item.cost_estimate = Decimal(cost)
            except InvalidOperation:
                pass
        actor = _first_actor(response.get("origins", []), "party")
        if actor:
            party = self.parties.get(actor["actor-uuid"], {})
            item.owner = party.get("name", "")
            emails = party.get("email-addresses", [])
            item.owner_email = emails[0] if emails else ""
        item.resources_required = "\n\n".join(a.get("description", "")
                                              for a in response.get("required-assets", []))
        tasks = response.get("tasks", [])
        item.milestones = [self._milestone(task, n) for n, task in enumerate(tasks)]

    def _milestone(self, task: dict, index: int) -> MilestoneData:
        own = props(task)
        sequence = own.get("sequence")
        timing = task.get("timing", {})
        due_text = (timing.get("on-date", {}).get("date")
                    or timing.get("within-date-range", {}).get("end"))
        current = parse_day(due_text) if due_text else None
        original = _day(own.get("original-due"))
        if original is None and not self.native:
            original = current
        owner = ""
        for role in task.get("responsible-roles", []):
            for uuid in role.get("party-uuids", []):
                owner = owner or self._party_name(uuid)
        return MilestoneData(
            sequence=int(sequence) if sequence.isdigit() else index + 1,
            description=task.get("description", "" if self.native else task["title"]),
            original_due=original,
            current_due=current, completed_on=_day(own.get("completed-on")), owner=owner,
            uuid=task["uuid"])

    def _risk_log(self, item: PoamItemData, entries: list[dict], planned: dict | None) -> None:
        by_task = {m.uuid: m for m in item.milestones}
        for entry in entries:
            own = props(entry)
            if _is_check_in(entry, own):
                checked = parse_day(entry["start"])
                if item.vendor_last_checkin is None or checked > item.vendor_last_checkin:
                    item.vendor_last_checkin = checked
            if own.get("entry-kind") in DERIVED_ENTRIES:
                continue
            actor = ""
            for logged in entry.get("logged-by", []):
                actor = actor or self._party_name(logged["party-uuid"])
            at = parse_date_time(entry["start"])
            milestone = _change_target(entry, by_task)
            if own.get("entry-kind") == "due-date-change" and milestone:
                milestone.changes.append(DueDateChange(
                    changed_at=at, old_due=_day(own.get("old-due")),
                    new_due=_day(own.get("new-due")),
                    justification=_justification(entry), actor=actor))
                continue
            item.history.append(self._history(entry, own, at, actor))

    def _history(self, entry: dict, own: _Props, at, actor: str) -> HistoryEntry:
        if own.get("action"):
            return HistoryEntry(at=at, actor=actor, action=own.get("action"),
                                entity=own.get("entity"), field=own.get("field"),
                                old=own.get("old-value"), new=own.get("new-value"),
                                justification=_justification(entry))
        # Another tool's log entry: keep its words as a note on the item.
        text = "\n\n".join(x for x in (entry.get("title", ""), entry.get("description", ""))
                           if x)
        status = OSCAL_TO_STATUS.get(entry.get("status-change", ""))
        return HistoryEntry(at=at, actor=actor, action="update", entity="item",
                            field="status" if status else "",
                            new=status.value if status else "", justification=text)


def _justification(entry: dict) -> str:
    # Entries always carry a description; the title stands in when there was none.
    description = entry.get("description", "")
    return "" if description == entry.get("title") else description


def _is_check_in(entry: dict, own: _Props) -> bool:
    return (own.get("vendor-dependency") == "vendor-check-in"
            or entry.get("title", "").lower() == "vendor check-in")


def _first_actor(origins: list[dict], kind: str = "") -> dict | None:
    for origin in origins:
        for actor in origin.get("actors", []):
            if not kind or actor.get("type") == kind:
                return actor
    return None


def _tool_plugin_id(characterization: dict) -> str:
    for actor in characterization.get("origin", {}).get("actors", []):
        for p in actor.get("props", []):
            if p.get("name") in ("plugin-id", "vulnerability-id"):
                return prop_text(p["value"])
    return ""


def _change_target(entry: dict, by_task: dict) -> MilestoneData | None:
    for response in entry.get("related-responses", []):
        for task in response.get("related-tasks", []):
            if task.get("task-uuid") in by_task:
                return by_task[task["task-uuid"]]
    return None


def _flag(own: _Props, name: str) -> bool:
    # FedRAMP marks a withdrawn request as "withdrawn": the flag no longer applies.
    return own.has(name) and own.get(name) != "withdrawn"


def _day(text: str):
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError:
        return None


def _pair(levels: dict, state: str) -> Risk | None:
    likelihood, impact = levels.get(("likelihood", state)), levels.get(("impact", state))
    if likelihood or impact:
        return _combine(likelihood or impact, impact or likelihood)
    return None


def _combine(likelihood: Risk, impact: Risk) -> Risk:
    """One level from likelihood and impact: their mean, rounded up (low+high = moderate)."""
    rank = -(-(likelihood.rank + impact.rank) // 2)
    return list(Risk)[min(rank, Risk.HIGH.rank)]


def _by_uuid(entries) -> Mapping:
    """Entries by uuid; a mapping given (entries read a pass at a time) is used as it is."""
    if isinstance(entries, Mapping):
        return entries
    return {entry["uuid"]: entry for entry in entries}


def check_root(data: object, source: str) -> dict:
    if not isinstance(data, dict) or ROOT not in data:
        raise FormatError(f"not an OSCAL POA&M: the top-level object has no {ROOT!r}",
                          source=source, field="$")
    return data
