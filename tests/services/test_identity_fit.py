"""Identity values longer than their columns fit the same way on every import."""

from openpoam.domain.findings import Asset, Finding, ScanInfo, Target
from openpoam.tracker.services.identity_fit import fit, fitted, widths


def test_it_leaves_a_value_that_fits_unchanged():
    assert fit("443", 10) == "443" and fit("x" * 10, 10) == "x" * 10


def test_it_fits_a_long_value_the_same_way_every_time():
    value = "443@portal.example.gov"
    assert fit(value, 10) == fit(value, 10) and len(fit(value, 10)) == 10
    assert fit(value, 10).startswith("4~")


def test_it_keeps_two_long_values_with_one_head_apart():
    assert fit("a" * 400, 300) != fit("a" * 399 + "b", 300)


def test_it_fits_findings_and_targets_alike():
    asset = Asset(key="h" * 400)
    finding = Finding(scope="s", weakness_id="w" * 400, asset=asset, title="t",
                      port="1" * 20, protocol="tcp")
    info = ScanInfo(scanner="x")
    out_info, target, out = fitted([info, Target("s", asset), finding])
    assert out_info is info
    assert target.asset.key == out.asset.key and len(out.asset.key) == widths()["key"]
    assert len(out.weakness_id) == widths()["weakness_id"] and len(out.port) == 10


def test_it_reports_each_shortened_field_once_with_a_count():
    asset = Asset(key="h")
    found = [Finding(scope="s", weakness_id="w", asset=asset, title="t", port=f"{n}" * 12)
             for n in range(1, 4)]
    warnings: list[str] = []
    list(fitted([Target("s", asset), *found], source="scan.csv", warnings=warnings))
    assert warnings == ["scan.csv: 3 port value(s) longer than the 10 characters stored, e.g. "
                        "'111111111111', were shortened (head and digest), the same way on "
                        "every import"]
