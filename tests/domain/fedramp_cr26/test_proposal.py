"""Proposals from scanner data (OpenPOAM heuristic; VER-EVA-AIA, FRD-DCE, FRD-IRV)."""

from openpoam.domain.fedramp.cr26 import cvss_score, internet_reachable, network_vector, propose
from openpoam.domain.findings import Severity


def test_kev_on_a_public_address_is_proposed_n5_lev_irv():
    proposal = propose(Severity.HIGH, cvss=None, kev=True, addresses=["8.8.8.8"],
                       vector_network=None)
    assert (proposal.rating, proposal.lev, proposal.irv) == (5, True, True)
    assert "KEV" in proposal.basis and "public address" in proposal.basis


def test_low_finding_on_private_addresses_is_n1_nlev_nirv():
    proposal = propose(Severity.LOW, cvss=None, kev=False, addresses=["10.0.0.5"],
                       vector_network=True)
    assert (proposal.rating, proposal.lev, proposal.irv) == (1, False, False)


def test_cvss_raises_a_low_scanner_word():
    proposal = propose(Severity.LOW, cvss=9.8, kev=False, addresses=[], vector_network=False)
    assert (proposal.rating, proposal.lev, proposal.irv) == (4, True, False)


def test_scanner_extras_are_read():
    extra = {"cvss3_base_score": "7.5", "cvss3_vector": "CVSS:3.1/AV:N/AC:L", "epss": 0.9}
    assert cvss_score(extra) == 7.5 and network_vector(extra) is True
    assert cvss_score({}) is None and network_vector({}) is None
    assert internet_reachable(["not an ip", "192.168.1.1"]) is False
    assert internet_reachable([]) is None
