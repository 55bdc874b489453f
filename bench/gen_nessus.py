"""Write synthetic but realistic .nessus (NessusClientData_v2) files for benchmarks.

    python bench/gen_nessus.py --hosts 1000 --findings-per-host 100 --out scan.nessus \
        [--next-month next.nessus [--third-month third.nessus]] --seed 7

The plugin catalogue (several hundred plugins with families, CVSS, CVEs,
see-also links and per-host plugin output) and the hosts are derived from the
seed, so the same arguments always write the same bytes. ``--next-month``
writes a second scan of the same hosts in which about 5% of each host's findings
are gone (remediated) and about 5% are new; with ``--fleet-changes`` also a dozen
plugins are fixed on every host (their items close) and ten newly published ones
appear on some hosts (new items). ``--third-month`` does the same again to the
second. Files are written as a stream: memory
stays small whatever the size.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

PLUGIN_COUNT = 800
CHANGE_RATE = 0.05
FLEET_FIXES = 12  # plugins fixed on every host each later month (a patch rolled out)
NEW_PLUGINS = 10  # plugins first seen each later month (new vulnerabilities published)
NEW_PLUGIN_SPREAD = 0.1  # share of hosts each new plugin is found on

FAMILIES = ("Windows : Microsoft Bulletins", "Ubuntu Local Security Checks",
            "Red Hat Local Security Checks", "Web Servers", "General", "Misc.",
            "Service detection", "CGI abuses", "Databases", "Windows", "SNMP",
            "Amazon Linux Local Security Checks", "Settings", "Firewalls")
PRODUCTS = ("OpenSSL", "Apache HTTP Server", "nginx", "OpenSSH", "Microsoft Edge", "Google Chrome",
            "Mozilla Firefox", "PHP", "MySQL", "PostgreSQL", "Oracle Java SE", "Samba",
            "Microsoft .NET Core", "VMware Tools", "Adobe Acrobat Reader", "curl", "sudo",
            "glibc", "Linux kernel", "Apache Tomcat", "Microsoft Office", "7-Zip", "Node.js")
PACKAGES = ("openssl", "kernel", "glibc", "sudo", "curl", "libxml2", "bind", "httpd", "nginx",
            "openssh-server", "python3", "systemd", "polkit", "expat", "zlib", "sqlite")
SERVICES = (("22", "ssh"), ("80", "www"), ("443", "www"), ("445", "cifs"), ("3389", "msrdp"),
            ("3306", "mysql"), ("5432", "postgresql"), ("8443", "www"), ("161", "snmp"))
OSES = ("Microsoft Windows Server 2019 Standard", "Microsoft Windows 10 Enterprise",
        "Ubuntu 22.04 Linux Kernel 5.15", "Red Hat Enterprise Linux 8.9",
        "Amazon Linux 2 Linux Kernel 4.14")
CONFIG_ISSUES = ("Weak Cipher Suites Supported", "Default Credentials", "Information Disclosure",
                 "Insecure Configuration")
INFO_TITLES = ("Detection", "Version Information", "Installed", "Enumeration")
# Nessus severities 0-4 in roughly the proportions of real scans (info is the majority).
SEVERITY_WEIGHTS = ((0, 55), (1, 8), (2, 20), (3, 12), (4, 5))
RISK = {0: "None", 1: "Low", 2: "Medium", 3: "High", 4: "Critical"}
CVSS_RANGE = {0: (0.0, 0.0), 1: (0.1, 3.9), 2: (4.0, 6.9), 3: (7.0, 8.9), 4: (9.0, 10.0)}


@dataclass(frozen=True)
class Plugin:
    plugin_id: int
    name: str
    family: str
    severity: int
    port: str
    service: str
    protocol: str
    cves: tuple[str, ...]
    cvss3: float
    synopsis: str
    description: str
    solution: str
    see_also: tuple[str, ...]
    kind: str  # "package", "version", "config", "info"
    subject: str


def catalogue(seed: int) -> list[Plugin]:
    rng = random.Random(f"catalogue-{seed}")
    ids = rng.sample(range(10_000, 210_000), PLUGIN_COUNT)
    return [_plugin(rng, plugin_id) for plugin_id in ids]


def _plugin(rng: random.Random, plugin_id: int) -> Plugin:
    severity = rng.choices([s for s, _ in SEVERITY_WEIGHTS], [w for _, w in SEVERITY_WEIGHTS])[0]
    kind = "info" if severity == 0 else rng.choice(("package", "version", "config"))
    subject = rng.choice(PACKAGES if kind == "package" else PRODUCTS)
    year = rng.randint(2015, 2025)
    cves = tuple(f"CVE-{year}-{rng.randint(1000, 49999)}"
                 for _ in range(0 if severity == 0 else rng.choice((0, 1, 1, 2, 3, 5, 8, 19))))
    port, service = ("0", "general") if kind in ("package", "info") and rng.random() < .7 \
        else rng.choice(SERVICES)
    low, high = CVSS_RANGE[severity]
    name = {
        "package": f"{rng.choice(('Ubuntu', 'RHEL', 'Amazon Linux 2'))} : {subject} "
                   f"(USN-{rng.randint(4000, 7000)}-{rng.randint(1, 3)})",
        "version": f"{subject} < {rng.randint(1, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 30)} "
                   "Multiple Vulnerabilities",
        "config": f"{subject} {rng.choice(CONFIG_ISSUES)}",
        "info": f"{subject} {rng.choice(INFO_TITLES)}",
    }[kind]
    return Plugin(
        plugin_id=plugin_id, name=name, family=rng.choice(FAMILIES), severity=severity,
        port=port, service=service, protocol="udp" if service == "snmp" else "tcp", cves=cves,
        cvss3=round(rng.uniform(low, high), 1), synopsis=f"The remote host is affected by "
        f"{'a vulnerability' if severity else 'an informational finding'} in {subject}.",
        description=_description(rng, subject, cves),
        solution="n/a" if severity == 0 else f"Upgrade {subject} to the latest version or apply "
        "the vendor patch referenced in the advisory.",
        see_also=tuple(f"https://www.tenable.com/plugins/nessus/{plugin_id}?ref={i}"
                       for i in range(rng.randint(0, 3))),
        kind=kind, subject=subject)


def _description(rng: random.Random, subject: str, cves: tuple[str, ...]) -> str:
    sentences = [
        f"The version of {subject} installed on the remote host is prior to the fixed version.",
        "It is, therefore, affected by multiple vulnerabilities as referenced in the advisory.",
        "An unauthenticated, remote attacker can exploit this to execute arbitrary code, "
        "cause a denial of service condition or disclose sensitive information.",
        "Note that Nessus has not tested for these issues but has instead relied only on the "
        "application's self-reported version number.",
    ]
    text = " ".join(sentences[: rng.randint(2, 4)])
    for cve in cves[:6]:
        text += f"\n\n  - A flaw was found in {subject} ({cve})."
    return text


def plugin_output(rng: random.Random, plugin: Plugin, host: int) -> str:
    if plugin.kind == "package":
        version = f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}"
        return (f"\n  Remote package installed : {plugin.subject}-{version}-{host % 7}.el8\n"
                f"  Should be                : {plugin.subject}-{version}-{host % 7 + 3}.el8\n")
    if plugin.kind == "version":
        return (f"\n  Path              : C:\\Program Files\\{plugin.subject}\\\n"
                f"  Installed version : {rng.randint(1, 20)}.{rng.randint(0, 9)}.{host % 50}\n"
                f"  Fixed version     : {rng.randint(21, 30)}.0.0\n")
    if plugin.kind == "config":
        lines = "\n".join(f"    TLS_RSA_WITH_{c}  Kx=RSA  Au=RSA  Enc={c}  Mac=SHA1"
                          for c in rng.sample(("3DES_EDE_CBC_SHA", "RC4_128_SHA", "AES_128_CBC",
                                               "DES_CBC_SHA", "NULL_SHA"), 3))
        return ("\n  Here is the list of weak SSL ciphers supported by the remote server :"
                f"\n\n{lines}\n")
    return f"\n{plugin.subject} was detected on the remote host (instance {host}).\n"


@dataclass(frozen=True)
class Host:
    index: int
    name: str
    ip: str
    fqdn: str
    os: str


def hosts(count: int) -> list[Host]:
    return [Host(i, f"srv{i:05d}", f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                 f"srv{i:05d}.corp.example", OSES[i % len(OSES)]) for i in range(count)]


def host_plugins(seed: int, host: Host, plugins: list[Plugin], per_host: int) -> list[Plugin]:
    rng = random.Random(f"host-{seed}-{host.index}")
    return rng.sample(plugins, min(per_host, len(plugins)))


def next_month(seed: int | str, host: Host, current: list[Plugin], plugins: list[Plugin]) -> list[Plugin]:
    """About 5% of this host's findings fixed, about 5% new ones (deterministic)."""
    rng = random.Random(f"next-{seed}-{host.index}")
    kept = [p for p in current if rng.random() >= CHANGE_RATE]
    present = {p.plugin_id for p in current}
    candidates = [p for p in plugins if p.plugin_id not in present]
    new_count = sum(rng.random() < CHANGE_RATE for _ in current)
    return kept + rng.sample(candidates, min(new_count, len(candidates)))


def fleet_changes(seed: int, month: int, host: Host, current: list[Plugin],
                  plugins: list[Plugin]) -> list[Plugin]:
    """What changes on every host at once: a few plugins patched fleet-wide (their items
    close) and a few newly published ones found on some hosts (new items)."""
    fixed = {p.plugin_id for p in random.Random(f"fleet-{seed}-{month}").sample(
        [p for p in plugins if p.severity], FLEET_FIXES)}
    kept = [p for p in current if p.plugin_id not in fixed]
    rng = random.Random(f"published-{seed}-{month}-{host.index}")
    return kept + [p for p in published(seed, month) if rng.random() < NEW_PLUGIN_SPREAD]


def published(seed: int, month: int) -> list[Plugin]:
    """Plugins first published in this month (ids above the catalogue's range)."""
    rng = random.Random(f"new-{seed}-{month}")
    return [_plugin(rng, 300_000 + month * 100 + n) for n in range(NEW_PLUGINS)]


def write_report(out: TextIO, seed: int, host_list: list[Host], plugins: list[Plugin],
                 per_host: int, *, month: int, start: datetime, fleet: bool = False) -> int:
    out.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>'
              'Monthly credentialed scan</policyName><Preferences><ServerPreferences>'
              '<preference><name>max_hosts</name><value>30</value></preference>'
              '</ServerPreferences></Preferences></Policy>\n'
              f'<Report name="Monthly scan {month}" xmlns:cm="http://www.nessus.org/cm">\n')
    written = 0
    for host in host_list:
        chosen = host_plugins(seed, host, plugins, per_host)
        for later in range(2, month + 1):  # each month changes the month before it
            chosen = next_month(seed if later == 2 else f"{seed}-m{later}", host, chosen, plugins)
            if fleet:
                chosen = fleet_changes(seed, later, host, chosen, plugins)
        rng = random.Random(f"output-{seed}-{month}-{host.index}")
        began = start + timedelta(seconds=host.index * 7)
        _write_host(out, host, began)
        for plugin in chosen:
            _write_item(out, plugin, plugin_output(rng, plugin, host.index))
            written += 1
        out.write("</ReportHost>\n")
    out.write("</Report>\n</NessusClientData_v2>\n")
    return written


def _write_host(out: TextIO, host: Host, began: datetime) -> None:
    ended = began + timedelta(minutes=12)
    tags = {"HOST_START_TIMESTAMP": str(int(began.timestamp())),
            "HOST_START": began.strftime("%a %b %d %H:%M:%S %Y"),
            "HOST_END_TIMESTAMP": str(int(ended.timestamp())),
            "HOST_END": ended.strftime("%a %b %d %H:%M:%S %Y"),
            "host-ip": host.ip, "host-fqdn": host.fqdn, "netbios-name": host.name.upper(),
            "operating-system": host.os, "Credentialed_Scan": "true"}
    out.write(f"<ReportHost name={quoteattr(host.ip)}><HostProperties>")
    out.write("".join(f"<tag name={quoteattr(k)}>{escape(v)}</tag>" for k, v in tags.items()))
    out.write("</HostProperties>\n")


def _write_item(out: TextIO, plugin: Plugin, output: str) -> None:
    parts = [f'<ReportItem port="{plugin.port}" svc_name="{plugin.service}" '
             f'protocol="{plugin.protocol}" severity="{plugin.severity}" '
             f'pluginID="{plugin.plugin_id}" pluginName={quoteattr(plugin.name)} '
             f'pluginFamily={quoteattr(plugin.family)}>',
             f"<description>{escape(plugin.description)}</description>",
             "<plugin_publication_date>2021/03/04</plugin_publication_date>",
             "<plugin_type>local</plugin_type>",
             f"<risk_factor>{RISK[plugin.severity]}</risk_factor>",
             f"<solution>{escape(plugin.solution)}</solution>",
             f"<synopsis>{escape(plugin.synopsis)}</synopsis>"]
    if plugin.severity:
        parts.append(f"<cvss3_base_score>{plugin.cvss3}</cvss3_base_score>"
                     "<cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>")
    parts += [f"<cve>{cve}</cve>" for cve in plugin.cves]
    parts += [f"<see_also>{escape(url)}</see_also>" for url in plugin.see_also]
    parts.append(f"<plugin_output>{escape(output)}</plugin_output></ReportItem>\n")
    out.write("".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--findings-per-host", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--next-month", type=Path)
    parser.add_argument("--third-month", type=Path, help="also the month after --next-month")
    parser.add_argument("--fleet-changes", action="store_true",
                        help="later months also patch plugins fleet-wide and publish new ones")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plugins = catalogue(args.seed)
    host_list = hosts(args.hosts)
    start = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
    with args.out.open("w", encoding="utf-8", newline="\n") as out:
        count = write_report(out, args.seed, host_list, plugins, args.findings_per_host,
                             month=1, start=start)
    print(f"{args.out}: {args.hosts} hosts, {count} findings", file=sys.stderr)
    if args.next_month:
        with args.next_month.open("w", encoding="utf-8", newline="\n") as out:
            count = write_report(out, args.seed, host_list, plugins, args.findings_per_host,
                                 month=2, start=start + timedelta(days=30),
                                 fleet=args.fleet_changes)
        print(f"{args.next_month}: {args.hosts} hosts, {count} findings", file=sys.stderr)
    if args.third_month:
        with args.third_month.open("w", encoding="utf-8", newline="\n") as out:
            count = write_report(out, args.seed, host_list, plugins, args.findings_per_host,
                                 month=3, start=start + timedelta(days=60),
                                 fleet=args.fleet_changes)
        print(f"{args.third_month}: {args.hosts} hosts, {count} findings", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
