"""Small Nessus files written by the tests: hosts with the plugins found on them."""

from __future__ import annotations

from xml.sax.saxutils import escape

HOST = """<ReportHost name="{ip}"><HostProperties><tag name="HOST_START">{when}</tag>
<tag name="host-ip">{ip}</tag></HostProperties>{items}</ReportHost>"""
ITEM = """<ReportItem port="22" svc_name="ssh" protocol="tcp" severity="2" pluginID="{plugin}"
 pluginName="{name}" pluginFamily="Misc."><risk_factor>Medium</risk_factor>
<synopsis>s</synopsis><description>d</description><solution>Fix it.</solution></ReportItem>"""


def nessus(hosts: dict[str, list[int]], when: str = "Mon Jun  3 10:00:00 2024") -> bytes:
    body = "".join(HOST.format(ip=ip, when=when, items="".join(
        ITEM.format(plugin=p, name=escape(f"Weakness number {p}")) for p in plugins))
        for ip, plugins in hosts.items())
    return (f'<?xml version="1.0"?><NessusClientData_v2><Report name="m">{body}</Report>'
            "</NessusClientData_v2>").encode()
