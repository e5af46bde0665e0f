"""Mutation matrices against pedmut, and paternity indices with mutation.

pedmut: M. D. Vigeland, R package *pedmut* (CRAN), ``mutationMatrix()`` documentation and
README (github.com/magnusdv/pedmut), which prints the matrices and pedigree likelihoods
used below. The stepwise example reproduces Section 2.1.3 of Simonsson & Mostad,
FSI: Genetics 2015, as the pedmut README states.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalfire.strstats.mutation import MUTATION_MODELS, mutation_matrix
from signalfire.strstats.stats import paternity_index

# --- the matrices printed in the pedmut README ---------------------------------------------


def test_pedmut_equal() -> None:
    # mutationMatrix("equal", rate = 0.1, alleles = c("a", "b", "c"))
    expected = [[0.90, 0.05, 0.05], [0.05, 0.90, 0.05], [0.05, 0.05, 0.90]]
    np.testing.assert_allclose(mutation_matrix(["1", "2", "3"], "equal", 0.1), expected)


def test_pedmut_proportional() -> None:
    # mutationMatrix("prop", rate = 0.1, alleles = c("a", "b", "c"), afreq = c(0.7, 0.2, 0.1))
    expected = [
        [0.93478261, 0.04347826, 0.02173913],
        [0.15217391, 0.82608696, 0.02173913],
        [0.15217391, 0.04347826, 0.80434783],
    ]
    got = mutation_matrix(["1", "2", "3"], "proportional", 0.1, afreq=[0.7, 0.2, 0.1])
    np.testing.assert_allclose(got, expected, atol=5e-9)


def test_pedmut_proportional_with_equal_frequencies() -> None:
    # pedmut README (CRAN): alleles 1:4, mutmod = "prop", rate = 0.1 prints 0.9 / 0.0333.
    got = mutation_matrix(["1", "2", "3", "4"], "proportional", 0.1, afreq=[0.25] * 4)
    expected = np.full((4, 4), 0.1 / 3) + np.eye(4) * (0.9 - 0.1 / 3)
    np.testing.assert_allclose(got, expected)


def test_pedmut_stepwise_simonsson_mostad() -> None:
    # mutationMatrix(model = "stepwise", alleles = c("16", "17", "18", "16.1", "17.1"),
    #                rate = 0.003, rate2 = 0.001, range = 0.5)
    third = 0.001 / 3
    expected = [
        [0.996, 0.002, 0.001, 0.0005, 0.0005],
        [0.0015, 0.996, 0.0015, 0.0005, 0.0005],
        [0.001, 0.002, 0.996, 0.0005, 0.0005],
        [third, third, third, 0.996, 0.003],
        [third, third, third, 0.003, 0.996],
    ]
    got = mutation_matrix(
        ["16", "17", "18", "16.1", "17.1"], "stepwise", 0.003, rate2=0.001, range_=0.5
    )
    np.testing.assert_allclose(got, expected, atol=1e-15)


def test_pedmut_onestep() -> None:
    # mutationMatrix(model = "onestep", alleles = c("16", "17", "18"), rate = 0.04)
    expected = [[0.96, 0.04, 0.0], [0.02, 0.96, 0.02], [0.0, 0.04, 0.96]]
    np.testing.assert_allclose(mutation_matrix(["16", "17", "18"], "onestep", 0.04), expected)


def test_stepwise_diagonal_cases() -> None:
    # pedmut's three diagonal cases: all alleles in one group (1 - rate), an allele alone in
    # its group (1 - rate2), otherwise 1 - rate - rate2.
    one_group = mutation_matrix(["9", "10", "11"], "stepwise", 0.01, rate2=0.002)
    np.testing.assert_allclose(np.diag(one_group), [0.99] * 3)
    mixed = mutation_matrix(["9", "10", "9.3"], "stepwise", 0.01, rate2=0.002)
    np.testing.assert_allclose(np.diag(mixed), [0.988, 0.988, 0.998])
    # range 1: every step equally likely within the group.
    flat = mutation_matrix(["9", "10", "11", "12"], "stepwise", 0.03, range_=1.0)
    np.testing.assert_allclose(flat[0], [0.97, 0.01, 0.01, 0.01])


@pytest.mark.parametrize("model", MUTATION_MODELS)
def test_rate_zero_is_the_identity(model: str) -> None:
    # pedmut tests: every model with rate 0 equals diag(n).
    got = mutation_matrix(["8", "9", "10"], model, 0.0, afreq=[0.2, 0.3, 0.5])
    np.testing.assert_array_equal(got, np.eye(3))


def test_single_allele_is_trivial() -> None:
    np.testing.assert_array_equal(mutation_matrix(["8"], "proportional", 0.1), [[1.0]])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([], "equal", 0.1), {}, "at least one allele"),
        ((["8", "8.0"], "equal", 0.1), {}, "alleles repeat"),
        ((["8", "9"], "random", 0.1), {}, "unknown mutation model 'random'"),
        ((["8", "9"], "equal", 1.5), {}, "rate must be between 0 and 1"),
        ((["8", "9"], "proportional", 0.1), {}, "needs afreq"),
        ((["8", "9"], "proportional", 0.1), {"afreq": [0.5]}, "afreq has 1 values for 2"),
        ((["8", "9"], "proportional", 0.1), {"afreq": [0.5, 0.501]}, "must sum to 1"),
        ((["8", "9"], "proportional", 0.5), {"afreq": [0.9, 0.1]}, "too high"),
        ((["8", "9"], "proportional", 0.1), {"afreq": [1.0, 0.0]}, "two alleles with frequency"),
        ((["8", "OL"], "stepwise", 0.1), {}, "needs numeric alleles, got 'OL'"),
        ((["8", "9"], "stepwise", 0.6), {"rate2": 0.5}, "rate \\+ rate2 must be at most 1"),
        ((["8", "9"], "stepwise", 0.1), {"range_": 0.0}, "range_ must be positive"),
        ((["8", "9.3"], "onestep", 0.1), {}, "onestep model needs integer alleles"),
    ],
)
def test_bad_arguments(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mutation_matrix(*args, **kwargs)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------

tenths = st.lists(st.integers(50, 400), min_size=1, max_size=8, unique=True)


def names(values: list[int]) -> list[str]:
    return [str(v // 10) if v % 10 == 0 else f"{v // 10}.{v % 10}" for v in values]


@given(tenths, st.floats(0, 0.5), st.floats(0, 0.5), st.floats(0.01, 2.0))
def test_stepwise_rows_sum_to_one(
    values: list[int], rate: float, rate2: float, range_: float
) -> None:
    m = mutation_matrix(names(values), "stepwise", rate, rate2=rate2, range_=range_)
    assert m.shape == (len(values), len(values))
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)
    assert m.min() >= 0.0
    assert m.max() <= 1.0


@given(st.integers(1, 12), st.floats(0, 1))
def test_equal_rows_sum_to_one(n: int, rate: float) -> None:
    m = mutation_matrix([str(8 + i) for i in range(n)], "equal", rate)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)
    if n > 1:
        assert m[0, -1] == pytest.approx(rate / (n - 1))


@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=10), st.floats(0, 1))
def test_proportional_is_stationary_and_reversible(weights: list[float], fraction: float) -> None:
    p = np.array(weights) / sum(weights)
    rate = fraction * float(np.sum(p * (1 - p)))  # keeps the matrix possible
    m = mutation_matrix([str(8 + i) for i in range(len(p))], "proportional", rate, afreq=list(p))
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p @ m, p, atol=1e-12)  # pedmut: "Stationary: Yes"
    np.testing.assert_allclose(p[:, None] * m, (p[:, None] * m).T, atol=1e-12)  # reversible
    # Overall mutation rate sum_i p_i (1 - m_ii) equals the rate asked for.
    assert float(np.sum(p * (1 - np.diag(m)))) == pytest.approx(rate, abs=1e-12)


@given(st.lists(st.integers(5, 40), min_size=1, max_size=8, unique=True), st.floats(0, 1))
def test_onestep_rows_sum_to_one(values: list[int], rate: float) -> None:
    m = mutation_matrix([str(v) for v in values], "onestep", rate)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)


# --- paternity with mutation --------------------------------------------------------------


def test_pedmut_readme_likelihood_equal_model() -> None:
    # pedmut README: father 1/1, boy 2/2, alleles 1 and 2 (frequency 0.5), equal model,
    # rate 0.1: likelihood 0.0125. Under "unrelated" the likelihood is P(1/1) P(2/2) = 1/16,
    # so PI = 0.0125 * 16.
    freqs = {"TPOX": {"1": 0.5, "2": 0.5}}
    pi = paternity_index(
        {"TPOX": ("2", "2")}, {"TPOX": ("1", "1")}, freqs, mutation={"model": "equal", "rate": 0.1}
    )
    assert pi * (0.5**2) * (0.5**2) == pytest.approx(0.0125, rel=1e-12)


def test_pedmut_readme_likelihood_proportional_model() -> None:
    # pedmut README (CRAN): father 1/1, boy 2/2, alleles 1:4 (frequency 1/4), proportional
    # model, rate 0.1: likelihood 0.0005208333.
    freqs = {"TPOX": {"1": 0.25, "2": 0.25, "3": 0.25, "4": 0.25}}
    mutation = {"model": "proportional", "rate": 0.1}
    pi = paternity_index({"TPOX": ("2", "2")}, {"TPOX": ("1", "1")}, freqs, mutation=mutation)
    assert pi * (0.25**2) * (0.25**2) == pytest.approx(0.0005208333, abs=5e-11)  # as printed


def test_stepwise_exclusion_by_hand() -> None:
    # Alleles 9-12 (one group), rate 0.002, range 0.5. Father 10/10, child 12/12, no mother.
    # Row 10: weights 9: 0.5, 11: 0.5, 12: 0.25 -> m[10,12] = 0.002 * 0.25 / 1.25 = 0.0004.
    # An untyped parent passes 12 with u12 = sum_k p_k m[k,12]:
    #   m[9,12] = 0.002 * 0.125 / 0.875, m[11,12] = 0.002 * 0.5 / 1.25, m[12,12] = 0.998.
    freqs = {"FGA": {"9": 0.2, "10": 0.3, "11": 0.3, "12": 0.2}}
    u12 = 0.2 * (0.002 * 0.125 / 0.875) + 0.3 * 0.0004 + 0.3 * 0.0008 + 0.2 * 0.998
    mutation = {"model": "stepwise", "rate": 0.002, "range": 0.5}
    two_steps = paternity_index(
        {"FGA": ("12", "12")}, {"FGA": ("10", "10")}, freqs, mutation=mutation
    )
    assert two_steps == pytest.approx(0.0004 * u12 / (u12 * u12), rel=1e-12)
    one_step = paternity_index(
        {"FGA": ("11", "11")}, {"FGA": ("10", "10")}, freqs, mutation=mutation
    )
    assert one_step > two_steps > 0.0


def test_mutation_turns_an_exclusion_into_a_small_index() -> None:
    freqs = {"D8S1179": {"10": 0.1, "11": 0.2, "12": 0.3, "13": 0.4}}
    child, mother, father = ("11", "12"), ("12", "12"), ("13", "13")
    plain = paternity_index(
        {"D8S1179": child}, {"D8S1179": father}, freqs, mother={"D8S1179": mother}
    )
    assert plain == 0.0
    mutation = {"model": "stepwise", "rate": 0.002, "rate2": 0.0, "range": 0.5}
    with_mutation = paternity_index(
        {"D8S1179": child},
        {"D8S1179": father},
        freqs,
        mother={"D8S1179": mother},
        mutation=mutation,
    )
    assert 0.0 < with_mutation < 0.05


def test_mutation_hardly_changes_a_consistent_locus() -> None:
    freqs = {"D8S1179": {"10": 0.1, "11": 0.2, "12": 0.3, "13": 0.4}}
    child, father = {"D8S1179": ("10", "11")}, {"D8S1179": ("11", "13")}
    plain = paternity_index(child, father, freqs)
    for model in ("equal", "proportional", "stepwise", "onestep"):
        value = paternity_index(child, father, freqs, mutation={"model": model, "rate": 1e-6})
        assert value == pytest.approx(plain, rel=1e-4)


def test_mutation_covers_alleles_missing_from_the_table() -> None:
    from signalfire.strstats.frequencies import FrequencyTable

    table = FrequencyTable({"TPOX": {"8": 0.5, "11": 0.5}}, n=100)
    value = paternity_index(
        {"TPOX": ("8", "9")},
        {"TPOX": ("10", "11")},
        table,
        mutation={"model": "onestep", "rate": 0.002},
    )
    assert value > 0.0


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ({"rate": 0.1}, "'model' and 'rate' are required"),
        ({"model": "equal"}, "'model' and 'rate' are required"),
        ({"model": "equal", "rate": 0.1, "speed": 2}, r"unknown keys \['speed'\]"),
        ({"model": "equal", "rate": "high"}, "'rate' must be a number"),
        ({"model": 3, "rate": 0.1}, "'model' must be a string"),
        ({"model": "stepwise", "rate": 0.1, "range": 0}, "range_ must be positive"),
    ],
)
def test_bad_mutation_specs(mutation: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paternity_index(
            {"TPOX": ("8", "8")},
            {"TPOX": ("8", "9")},
            {"TPOX": {"8": 0.5, "9": 0.5}},
            mutation=mutation,
        )
