import collections

import numpy as np
import pytest
from scipy import stats

from kusari_rl import explorers
from kusari_rl.explorer import Explorer


class _ActionValue:
    def __init__(self, q_values):
        self.q_values = np.asarray(q_values, dtype=np.float32)


def _random_action():
    return "random"


def _greedy_action():
    return "greedy"


def test_greedy():
    explorer = explorers.Greedy()
    assert isinstance(explorer, Explorer)
    assert explorer.select_action(0, lambda: 3) == 3
    assert repr(explorer) == "Greedy()"


@pytest.mark.parametrize("epsilon", [0.0, 0.3, 1.0])
def test_constant_epsilon_greedy_frequency(epsilon):
    explorer = explorers.ConstantEpsilonGreedy(epsilon, _random_action)
    np.random.seed(0)
    counts = collections.Counter(explorer.select_action(t, _greedy_action) for t in range(3000))
    if epsilon in (0.0, 1.0):
        assert counts["random"] == 3000 * epsilon
    else:
        assert stats.binomtest(counts["random"], 3000, epsilon).pvalue > 1e-3
    assert repr(explorer) == f"ConstantEpsilonGreedy(epsilon={epsilon})"


def test_epsilon_greedy_matches_a_numpy_reference():
    explorer = explorers.ConstantEpsilonGreedy(0.4, _random_action)
    np.random.seed(1)
    actions = [explorer.select_action(t, _greedy_action) for t in range(50)]
    np.random.seed(1)
    expected = ["random" if u < 0.4 else "greedy" for u in np.random.rand(50)]
    assert actions == expected


def test_linear_decay_schedule():
    explorer = explorers.LinearDecayEpsilonGreedy(1.0, 0.1, 100, _random_action)
    assert explorer.epsilon == 1.0
    for t, expected in [(0, 1.0), (50, 0.55), (99, 1.0 - 0.9 * 0.99), (100, 0.1), (10**6, 0.1)]:
        assert explorer.compute_epsilon(t) == pytest.approx(expected)
    explorer.select_action(50, _greedy_action)
    assert explorer.epsilon == pytest.approx(0.55)
    assert repr(explorer) == f"LinearDecayEpsilonGreedy(epsilon={explorer.epsilon})"
    instant = explorers.LinearDecayEpsilonGreedy(0.5, 0.0, 0, _random_action)
    assert instant.compute_epsilon(0) == 0.0
    assert instant.select_action(0, _greedy_action) == "greedy"


def test_exponential_decay_schedule():
    explorer = explorers.ExponentialDecayEpsilonGreedy(1.0, 0.05, 0.9, _random_action)
    for t in (0, 1, 10, 28, 29, 10**7):
        assert explorer.compute_epsilon(t) == pytest.approx(max(0.9**t, 0.05))
    explorer.select_action(10, _greedy_action)
    assert explorer.epsilon == pytest.approx(0.9**10)
    assert repr(explorer) == f"ExponentialDecayEpsilonGreedy(epsilon={explorer.epsilon})"


def test_epsilon_greedy_bad_input():
    with pytest.raises(ValueError, match=r"ConstantEpsilonGreedy: epsilon must be in \[0, 1\]"):
        explorers.ConstantEpsilonGreedy(1.5, _random_action)
    with pytest.raises(TypeError, match="random_action_func must be a function of no argument"):
        explorers.ConstantEpsilonGreedy(0.1, 3)
    with pytest.raises(ValueError, match=r"LinearDecayEpsilonGreedy: end_epsilon must be in"):
        explorers.LinearDecayEpsilonGreedy(1.0, -0.1, 10, _random_action)
    with pytest.raises(ValueError, match="decay_steps must be >= 0, got -1"):
        explorers.LinearDecayEpsilonGreedy(1.0, 0.1, -1, _random_action)
    with pytest.raises(ValueError, match=r"decay must be in \(0, 1\], got 1.5"):
        explorers.ExponentialDecayEpsilonGreedy(1.0, 0.1, 1.5, _random_action)


def test_boltzmann_distribution():
    explorer = explorers.Boltzmann(T=0.5)
    q = np.array([[1.0, 0.0, 0.5, -1.0]])
    logits = q[0] / 0.5
    probs = np.exp(logits) / np.exp(logits).sum()
    np.random.seed(0)
    actions = [explorer.select_action(0, None, _ActionValue(q)) for _ in range(4000)]
    assert all(isinstance(a, int) for a in actions)
    observed = np.bincount(actions, minlength=4)
    assert stats.chisquare(observed, 4000 * probs).pvalue > 1e-3
    assert repr(explorer) == "Boltzmann(T=0.5)"


def test_boltzmann_is_stable_for_large_q_values():
    explorer = explorers.Boltzmann(T=0.01)
    np.random.seed(0)
    assert explorer.select_action(0, None, _ActionValue([[1000.0, 0.0]])) == 0


def test_boltzmann_bad_input():
    with pytest.raises(ValueError, match="Boltzmann: T must be > 0, got 0"):
        explorers.Boltzmann(T=0)
    explorer = explorers.Boltzmann()
    with pytest.raises(ValueError, match="needs action_value with q_values"):
        explorer.select_action(0, lambda: 0)
    with pytest.raises(ValueError, match=r"must have shape \(1, n_actions\), got \(2, 3\)"):
        explorer.select_action(0, lambda: 0, _ActionValue(np.zeros((2, 3))))


def test_additive_gaussian_matches_a_numpy_reference_and_clips():
    greedy = np.array([0.5, -0.5, 0.0], dtype=np.float32)
    explorer = explorers.AdditiveGaussian(scale=0.3, low=-0.6, high=0.6)
    np.random.seed(2)
    actions = np.stack([explorer.select_action(0, lambda: greedy) for _ in range(200)])
    np.random.seed(2)
    noise = np.stack([np.random.normal(scale=0.3, size=3) for _ in range(200)])
    expected = np.clip(greedy + noise.astype(np.float32), -0.6, 0.6)
    assert actions.dtype == np.float32
    np.testing.assert_allclose(actions, expected, rtol=1e-6)
    assert actions.max() == np.float32(0.6) and actions.min() == np.float32(-0.6)
    assert repr(explorer) == "AdditiveGaussian(scale=0.3, low=-0.6, high=0.6)"


def test_additive_gaussian_statistics_without_bounds():
    explorer = explorers.AdditiveGaussian(scale=np.array([0.1, 1.0]))
    np.random.seed(3)
    actions = np.stack(
        [explorer.select_action(0, lambda: np.ones(2, np.float32)) for _ in range(4000)]
    )
    np.testing.assert_allclose(actions.mean(axis=0), [1.0, 1.0], atol=0.05)
    np.testing.assert_allclose(actions.std(axis=0), [0.1, 1.0], rtol=0.05)
    with pytest.raises(ValueError, match="AdditiveGaussian: scale must be >= 0"):
        explorers.AdditiveGaussian(scale=-1.0)


def test_additive_ou_follows_the_recursion():
    mu, theta, sigma = 0.2, 0.15, 0.3
    explorer = explorers.AdditiveOU(mu=mu, theta=theta, sigma=sigma)
    greedy = np.zeros(2, dtype=np.float32)
    np.random.seed(4)
    actions = [explorer.select_action(t, lambda: greedy) for t in range(5)]
    np.random.seed(4)
    stationary = sigma / np.sqrt(2 * theta - theta**2)
    x = np.random.normal(loc=mu, scale=stationary, size=2).astype(np.float32)
    expected = [x.copy()]
    for _ in range(4):
        x += (theta * (mu - x) + np.random.normal(scale=sigma, size=2)).astype(np.float32)
        expected.append(x.copy())
    np.testing.assert_allclose(actions, expected, rtol=1e-6)
    assert repr(explorer) == "AdditiveOU(mu=0.2, theta=0.15, sigma=0.3)"


def test_additive_ou_start_with_mu_and_stationary_spread():
    explorer = explorers.AdditiveOU(mu=0.5, sigma=0.0, start_with_mu=True)
    assert explorer.select_action(0, lambda: np.zeros(3, np.float32)).tolist() == [0.5] * 3
    explorer = explorers.AdditiveOU(theta=0.5, sigma=0.2)
    np.random.seed(5)
    noise = np.array(
        [explorer.select_action(t, lambda: np.zeros(1, np.float32))[0] for t in range(20000)]
    )
    assert noise.std() == pytest.approx(0.2 / np.sqrt(2 * 0.5 - 0.25), rel=0.05)


def test_additive_ou_bad_input():
    with pytest.raises(ValueError, match=r"AdditiveOU: theta must be in \(0, 2\), got 0"):
        explorers.AdditiveOU(theta=0)
    with pytest.raises(ValueError, match="AdditiveOU: sigma must be >= 0, got -0.1"):
        explorers.AdditiveOU(sigma=-0.1)
    assert explorers.AdditiveOU(theta=0, start_with_mu=True).theta == 0
