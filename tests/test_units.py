"""Units the runs rely on, checked without NEURON: the budget's grid check and event
estimates (netcol.config.budget), the keyed random streams (netcol.build.streams) and the
differences a resume refuses (netcol.engine.checkpoint.differences)."""
import importlib
import math

import numpy as np
import pytest

from netcol.build.streams import PURPOSES, bernoulli_sources, keyed_generator, keyed_normals, keyed_uniforms, philox4x32
from netcol.config.budget import MAX_EVENTS, check_budget, check_grid, event_count, human_time, off_grid
from netcol.config.experiment import load_experiment
from netcol.config.schema import ParamError
from netcol.engine.checkpoint import differences


# ---------------------------------------------------------------------------------- budget
@pytest.mark.parametrize("seconds,step_ms,off", [
    (1.0005, 0.5, False), (1.0003, 0.5, True), (0.1 * 3, 0.1, False),   # 0.30000000000000004 s is on the grid
    (160000.0, 1 / 32, False), (2.5e-4, 0.5, True), (0.0005, 0.5, False), (1e4 + 0.25e-3, 0.5, True),
    # half a step off at 160,000 s (5.12e9 steps of 1/32 ms): a relative tolerance of 1e-9 is 5 steps there
    (160000.0 + 1 / 64000, 1 / 32, True),   # half a step off after 5e9 steps
])
def test_off_grid_is_a_whole_number_of_steps_within_rounding(seconds, step_ms, off):
    assert off_grid(seconds, step_ms) is off


def test_check_grid_names_the_time_and_checks_the_checkpoint_interval():
    params = dict(duration=4.0, scaling_start=1.0003, block=1.0)
    check_grid(dict(params, scaling_start=1.0), ["duration", "scaling_start"], 0.5, 2.0, "here")   # all on the grid
    with pytest.raises(ParamError) as err:
        check_grid(params, ["duration", "scaling_start"], 0.5, None, "here")
    assert "here" in str(err.value) and "scaling_start" in str(err.value) and "1.0005" in str(err.value)
    check_grid(params, ["duration"], 0.5, None, "here")                 # only the keys named are times
    with pytest.raises(ParamError, match="--checkpoint-every"):
        check_grid(dict(params, scaling_start=1.0), ["duration"], 0.5, 1e-9, "here")


@pytest.mark.parametrize("name,sets,every", [
    ("baseline", {"duration": 30}, None),
    ("baseline", {"duration": 30}, 7.0),
    ("scalingwithdeletion", {"duration": 40, "segment_length": 10, "trial_length": 5, "recording_interval": 5,
                             "scaling_start": 5}, 20.0),
    ("onlydeletion", {"duration": 13, "segment_length": 3, "trial_length": 2, "recording_interval": 0.5}, 4.0),
    ("onlytraining", {"duration": 20, "learn_start": 5, "learn_end": 15}, 4.0),
    ("vogels2011_small", {"duration": 3}, 1.0),
    ("akil2021_small", {"duration": 2}, 0.5),
    pytest.param("sadeh2015", {"blocks": 2}, None, marks=pytest.mark.xfail(
        strict=True, reason="sadeh2015's event_series counts one event per learning block; its timeline has about "
                            "three (block start, weight snapshot, rates), so the estimate is too low")),
])
def test_the_event_estimate_bounds_the_real_timeline(name, sets, every):
    """The budget's estimate (which the MAX_EVENTS cap is checked against) is never below
    the number of events the model's timeline holds, and not far above it."""
    exp = load_experiment(name, sets, checkpoint_every=every)
    timeline = importlib.import_module(f"{exp.package.__name__}.protocol").timeline(exp.params, every)
    estimate = event_count(exp.package.event_series(exp.params), exp.params["duration"], every)
    assert len(timeline) <= estimate <= len(timeline) + 10 + len(exp.package.event_series(exp.params)) + 1


def test_event_count_of_periodic_series():
    # records from 5 s every 10 s to 100 s: 10; rounds every 25 s: 4; checkpoints every 30 s: 3; +10 singles
    series = [("records", 5.0, 10.0), ("rounds", 25.0, 25.0)]
    assert event_count(series, 100.0) == 10 + 4 + 10
    assert event_count(series, 100.0, 30.0) == 10 + 4 + 3 + 10
    assert event_count([("late", 200.0, 1.0)], 100.0) == 10                    # a series starting after the end
    assert event_count([("every step", 0.1, 0.1)], 0.3) == 3 + 10              # 3 * 0.1 counted despite rounding


COST = dict(memory_mb=100.0, setup_s=0.0, wall_per_sim_s=2.0, memory_note="a test network")


def test_check_budget_caps_the_events_at_max_events():
    # one record per second: MAX_EVENTS - 10 seconds make exactly MAX_EVENTS events
    series = [("records", 1.0, 1.0)]
    at_cap = MAX_EVENTS - 10
    check_budget(dict(duration=float(at_cap)), series, None, COST, "here", memory_mb=1000.0)
    with pytest.raises(ParamError) as err:
        check_budget(dict(duration=float(at_cap + 1)), series, None, COST, "here", memory_mb=1000.0)
    msg = str(err.value)
    assert "here" in msg and "records every 1 s" in msg and f"{MAX_EVENTS:,}" in msg
    assert human_time(2.0 * (at_cap + 1)) in msg                               # the model's time estimate
    with pytest.raises(ParamError, match="checkpoints"):                       # checkpoints count too
        check_budget(dict(duration=float(at_cap)), series, 100.0, COST, "here", memory_mb=1000.0)


def test_check_budget_compares_the_memory_estimate_with_the_machine():
    check_budget(dict(duration=10.0), [], None, COST, "here", memory_mb=100.0)   # exactly fits
    with pytest.raises(ParamError) as err:
        check_budget(dict(duration=10.0), [], None, COST, "here", memory_mb=99.0)
    assert "a test network" in str(err.value) and "GB" in str(err.value)


@pytest.mark.parametrize("seconds,words", [(5.0, "5 s"), (90.0, "1.5 minutes"), (7200.0, "2 hours"),
                                           (3 * 86400.0, "3 days"), (2 * 365 * 86400.0, "2 years")])
def test_human_time(seconds, words):
    assert human_time(seconds) == words


# ---------------------------------------------------------------------------------- streams
def draws_per_gid(ranks, n_cells=60, n_draws=5, interleave=True, reverse=False):
    """Every gid's first draws when the gids are dealt round-robin over `ranks` ranks, each
    rank creating its generators in gid order (or reversed) and drawing from them in turn
    (interleaved) or one generator after another."""
    out = {}
    for rank in range(ranks):
        gids = list(range(rank, n_cells, ranks))[::-1 if reverse else 1]
        gens = {g: keyed_generator(2, "wiring", g) for g in gids}
        if interleave:
            for _ in range(n_draws):
                for g in gids:
                    out.setdefault(g, []).append(gens[g].random())
        else:
            for g in gids:
                out[g] = list(gens[g].random(n_draws))
    return out


def test_a_gids_stream_is_independent_of_ranks_and_creation_order():
    one = draws_per_gid(1, interleave=False)
    assert draws_per_gid(2) == one
    assert draws_per_gid(3, reverse=True) == one
    assert draws_per_gid(7, reverse=True, interleave=False) == one
    assert len({tuple(v) for v in one.values()}) == len(one)                   # and differs between gids


def test_every_part_of_the_key_changes_the_stream():
    first = lambda *key: tuple(keyed_generator(*key).random(4))
    keys = [(2, "wiring", 5), (3, "wiring", 5), (2, "delays", 5), (2, "wiring", 6), (0, "wiring", 0),
            (0, "positions", 2**40 - 1), (0, "wiring", 0), (2**32 - 1, "thinning", 2**40 - 1), (1, "positions", 0)]
    streams = {k: first(*k) for k in keys}
    assert len(set(streams.values())) == len(set(keys))
    assert len(set(PURPOSES.values())) == len(PURPOSES) and max(PURPOSES.values()) < 2**24


def test_the_streams_are_the_ones_runs_were_made_with():
    """Renumbering a purpose or changing the key's layout would change every run's network."""
    assert keyed_generator(2, "wiring", 5).random(3).tolist() == [0.7621060404726582, 0.11733345231524117,
                                                                  0.47340817207742203]
    assert keyed_generator(0, "positions", 0).integers(0, 2**32, 2).tolist() == [1691105335, 3696677569]


@pytest.mark.parametrize("counter, key, words", [
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))])
def test_philox4x32_gives_random123s_known_answers(counter, key, words):
    assert tuple(int(w) for w in philox4x32(counter, key)) == words


def test_counter_streams_are_uniform_normal_and_keyed_by_every_word():
    gids = np.arange(200000)
    u, v = keyed_uniforms(7, "wiring", gids, 3, 1)
    assert 0 < u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.003 and abs(np.corrcoef(u, v)[0, 1]) < 0.01
    assert np.array_equal(keyed_uniforms(7, "wiring", gids[5::7], 3, 1)[0], u[5::7])   # any subset, same numbers
    z = keyed_normals(7, "weights", gids)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01 and abs(np.mean(z ** 4) - 3) < 0.05
    firsts = {k: keyed_uniforms(*k)[0][()] for k in [(7, "wiring", 1, 3, 1), (8, "wiring", 1, 3, 1),
                                                       (7, "delays", 1, 3, 1), (7, "wiring", 2, 3, 1),
                                                       (7, "wiring", 1, 4, 1), (7, "wiring", 1, 3, 2)]}
    assert len(set(firsts.values())) == len(firsts)


def test_bernoulli_sources_are_distinct_sorted_and_each_chosen_with_p():
    n, p, trials = 200, 0.1, 400
    counts = np.zeros(n)
    sizes = []
    for k in range(trials):
        s = bernoulli_sources(keyed_generator(1, "wiring", k), n, p)
        assert np.all(np.diff(s) > 0) and (len(s) == 0 or (s[0] >= 0 and s[-1] < n))
        counts[s] += 1
        sizes.append(len(s))
    sd = math.sqrt(n * p * (1 - p))
    assert abs(np.mean(sizes) - n * p) < 5 * sd / math.sqrt(trials)           # binomial(n, p) sizes
    assert abs(np.std(sizes) - sd) < 0.25 * sd
    per = math.sqrt(trials * p * (1 - p))
    assert np.all(np.abs(counts - trials * p) < 6 * per)                        # no source favoured
    assert bernoulli_sources(keyed_generator(1, "wiring", 0), n, 0.0).size == 0
    assert bernoulli_sources(keyed_generator(1, "wiring", 0), n, 1.0).tolist() == list(range(n))


# ---------------------------------------------------------------------------------- checkpoint differences
def test_equal_settings_have_no_differences_nan_included():
    saved = dict(params=dict(seed=2, beta=float("nan"), rates=[1.0, 2.0]), network={"E": {"n": 10}})
    assert differences(saved, {k: v for k, v in saved.items()}) == []
    assert differences(saved, dict(params=dict(seed=2, beta=float("nan"), rates=[1.0, 2.0]),
                                   network={"E": {"n": 10}})) == []


def test_differences_are_named_by_their_dotted_path_in_key_order():
    saved = dict(params=dict(seed=2, duration=10.0, gone=1), network={"E": {"n": 10, "tau": 5.0}}, version="0.2")
    current = dict(params=dict(seed=3, duration=10.0, new="x"), network={"E": {"n": 10, "tau": float("nan")}},
                   version="0.2")
    assert differences(saved, current) == ["network.E.tau: 5.0 -> nan", "params.gone: 1 -> '<absent>'",
                                           "params.new: '<absent>' -> 'x'", "params.seed: 2 -> 3"]


def test_a_dict_replaced_by_a_value_and_keys_of_mixed_types():
    assert differences({"a": {"b": 1}}, {"a": 1}) == ["a: {'b': 1} -> 1"]
    assert differences({1: "x", "2": "y"}, {1: "x", "2": "z"}) == ["2: 'y' -> 'z'"]
    assert differences({"rates": [1.0, 2.0]}, {"rates": [1.0, 2.5]}) == ["rates: [1.0, 2.0] -> [1.0, 2.5]"]
