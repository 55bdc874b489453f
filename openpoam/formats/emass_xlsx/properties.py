"""Custom document properties (ECMA-376 Part 1, 22.3 Custom File Properties) added to a
filled template: docProps/custom.xml keeps the template's own properties and gains ours,
each a text value (vt:lpwstr) with the next free property id; a template without the part
gets one, registered in [Content_Types].xml and the package relationships."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from openpoam.formats.fedramp_xlsx.package import Template

CUSTOM = "docProps/custom.xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# The format id every user-defined property carries (ECMA-376 Part 1, 22.3.2.2).
USER_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
              "custom-properties")
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


def with_custom_properties(template: Template, properties: Mapping[str, str]) -> dict[str, bytes]:
    """The parts to replace so the package carries ``properties`` (name -> text); a
    property of the same name is replaced."""
    replaced = {}
    names = template.archive.namelist()
    if CUSTOM in names:
        root = etree.fromstring(template.read(CUSTOM))
    else:
        root = etree.Element(f"{{{CUSTOM_NS}}}Properties", nsmap={None: CUSTOM_NS, "vt": VT_NS})
        replaced["[Content_Types].xml"] = _register_type(template.read("[Content_Types].xml"))
        replaced["_rels/.rels"] = _register_rel(template.read("_rels/.rels"))
    for name, value in properties.items():
        for old in root.findall(f"{{{CUSTOM_NS}}}property"):
            if old.get("name") == name:
                root.remove(old)
        ids = [int(p.get("pid")) for p in root.findall(f"{{{CUSTOM_NS}}}property")]
        node = etree.SubElement(root, f"{{{CUSTOM_NS}}}property", fmtid=USER_FMTID,
                                pid=str(max(ids, default=1) + 1), name=name)
        etree.SubElement(node, f"{{{VT_NS}}}lpwstr").text = str(value)
    replaced[CUSTOM] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    return replaced


def _register_type(data: bytes) -> bytes:
    root = etree.fromstring(data)
    etree.SubElement(root, f"{{{CT_NS}}}Override", PartName="/" + CUSTOM, ContentType=CUSTOM_TYPE)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _register_rel(data: bytes) -> bytes:
    root = etree.fromstring(data)
    ids = {rel.get("Id") for rel in root}
    new_id = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
    etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship", Id=new_id, Type=CUSTOM_REL,
                     Target=CUSTOM)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
