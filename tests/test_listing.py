from sesmigrate.listing import first_few


def test_first_few_names_all_when_they_fit() -> None:
    assert first_few(["a", "b"], 3) == "a, b"


def test_first_few_counts_the_rest() -> None:
    assert first_few(["a", "b", "c", "d"], 2) == "a, b and 2 more"


def test_first_few_takes_its_separators() -> None:
    assert first_few(["x", "y", "z"], 2, "; ", "; ") == "x; y; and 1 more"
