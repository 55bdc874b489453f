from openpoam.domain.dependencies import find_cycle


def test_it_finds_no_cycle_in_a_chain():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": []}) is None


def test_it_names_the_cycle():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["A"]}) == ["A", "B", "C", "A"]


def test_it_finds_a_self_dependency():
    assert find_cycle({"A": ["A"]}) == ["A", "A"]


def test_it_finds_a_cycle_reached_through_an_acyclic_part():
    assert find_cycle({"X": ["A"], "A": ["B"], "B": ["A"]}) == ["A", "B", "A"]
