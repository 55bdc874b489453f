"""The executive report: a PDF whose every page renders, with the system's facts on it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from openpoam.reviews.services import report as reports
from openpoam.tracker import demo
from openpoam.tracker.models import System
from openpoam.tracker.services import Actor, PermissionDenied

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_system(db):
    demo.load()
    return System.objects.get(slug="cui-enclave")


def test_the_report_html_holds_status_charts_and_escaped_text(demo_system):
    html = reports.report_html(Actor.command_line(), demo_system)
    assert demo_system.name in html
    assert "Internal tracking" in html or "Official submission" in html
    assert html.count("<svg") >= 2  # burn-down and risk bars, vector graphics
    assert "SPRS score" in html and "Owners&#x27; workload" not in html
    assert "<script" not in html


def test_imported_markup_in_a_title_stays_text(actors, system, poam):
    html = reports.report_html(actors["alice"], system)
    assert "MFA not enforced for [/admin] VPN" in html


def test_strangers_get_no_report(actors, system, poam):
    with pytest.raises(PermissionDenied):
        reports.report_html(actors["charlie"], system)


def test_every_page_of_the_pdf_renders(demo_system, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian's poppler-utils) is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(reports.report_pdf(Actor.command_line(), demo_system))
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages, "no page rendered"
    for page in pages:
        assert page.stat().st_size > 3000, f"{page.name} looks blank"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert demo_system.name in text and "Top risks" in text and "Page 1 of" in text
    _keep_for_people(pages[0])


def _keep_for_people(page: Path) -> None:
    """The first page, kept where a person can look at it after the run."""
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(page, artifacts / "report-page-1.png")


def test_the_overdue_list_is_bounded_and_the_rest_counted(system, monkeypatch):
    """At 100,000 items the report names the longest overdue and counts the others,
    rather than rendering thousands of PDF pages (issue 21)."""
    from datetime import date

    from openpoam.tracker.services import items

    root = Actor.command_line("test-admin")
    for n in range(3):
        items.create_item(root, system, title=f"Late {n}", detected_on=date(2024, 1, 1),
                          original_risk="low", controls=["3.1.1"],
                          scheduled_completion=date(2024, 2, 1 + n))
    monkeypatch.setattr(reports, "OVERDUE_SHOWN", 2)
    context = reports.report_context(root, system)
    assert [i.title for i in context["overdue"]][:2] == ["Late 0", "Late 1"]
    assert len(context["overdue"]) == 2 and context["overdue_more"] >= 1
    html = reports.report_html(root, system)
    assert f"and {context['overdue_more']} more overdue item" in html
