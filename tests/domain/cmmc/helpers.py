"""Shared builders for the CMMC tests."""

from datetime import date

from openpoam.domain.cmmc import Assessment, evaluate

# The 46 POA&M-eligible one-point Level 2 requirements (RULES.md §5): the 51 one-pointers
# of DoDAM Annex A minus 3.1.20, 3.1.22, 3.10.3, 3.10.4, 3.10.5 of §170.21(a)(2)(iii).
FIVE = ("3.1.1 3.1.2 3.2.1 3.2.2 3.3.1 3.4.1 3.4.2 3.5.1 3.5.2 3.6.1 3.6.2 3.7.2 3.8.3 3.9.2 "
        "3.10.1 3.10.2 3.12.1 3.12.3 3.13.1 3.13.2 3.14.1 3.14.2 3.14.3 3.1.12 3.1.13 3.1.16 "
        "3.1.17 3.1.18 3.3.5 3.4.5 3.4.6 3.4.7 3.4.8 3.5.10 3.7.5 3.8.7 3.11.2 3.13.5 3.13.6 "
        "3.13.15 3.14.4 3.14.6 3.5.3 3.13.11").split()
THREE = ("3.3.2 3.7.1 3.8.1 3.8.2 3.9.1 3.11.1 3.12.2 3.1.5 3.1.19 3.7.4 3.8.8 3.13.8 3.14.5 "
         "3.14.7").split()
LISTED = ["3.1.20", "3.1.22", "3.12.4", "3.10.3", "3.10.4", "3.10.5"]
FAMILY_SIZES = {1: 22, 2: 3, 3: 9, 4: 9, 5: 11, 6: 3, 7: 6, 8: 9, 9: 2, 10: 6, 11: 3, 12: 4,
                13: 16, 14: 7}
ALL_110 = [f"3.{family}.{n}" for family, size in FAMILY_SIZES.items()
           for n in range(1, size + 1)]
ONES = [r for r in ALL_110 if r not in FIVE + THREE + ["3.12.4"]]
ELIGIBLE_ONES = [r for r in ONES if r not in LISTED]

STATUS_DATE = date(2026, 3, 2)


def l2(results: dict, kind: str = "C3PAO", status_date=None):
    return evaluate(Assessment(2, kind, results, status_date))


def not_met(ids) -> dict:
    return {i: "not_met" for i in ids}
