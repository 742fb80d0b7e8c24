"""The leaderboard (issue #18): seeds pooled, differences against their standard error,
time to accuracy from a record's history, published rows with their protocol."""
import json
import math

import pytest

from semgcn import leaderboard as lb
from semgcn.experiments import EXPERIMENTS, seed_records, seed_runs


def _record(name, seed, mpjpe, vals=(60.0, 40.0, 30.0), cpu=(100.0, 110.0, 120.0), flip=False, epochs=3):
    return {"name": name, "complete": True, "parameters": 434703,
            "config": {"model": "semgcn", "seed": seed, "epochs": epochs, "lr_schedule": "cosine",
                       "augment_flip": flip, "flip_test": flip},
            "history": {"val_mpjpe": list(vals), "cpu_seconds": list(cpu) if cpu else None,
                        "epoch_seconds": [200.0] * len(vals), "steps": [1000 * (i + 1) for i in range(len(vals))]},
            "steps": 1000 * len(vals), "data": {"joint_names": ["j"] * 16},
            "test": {"mpjpe": mpjpe, "p_mpjpe": mpjpe * 0.75}}


def _ship(root, folder, record):
    (root / folder).mkdir(parents=True)
    (root / folder / "record.json").write_text(json.dumps(record))


def test_seeds_are_pooled_and_differences_weighed_against_their_standard_error(tmp_path):
    for i, v in enumerate((43.0, 44.0, 45.0)):
        _ship(tmp_path, "h36m-semgcn-fast" + (f"-seed{i}" if i else ""), _record("x", i, v))
    for i, v in enumerate((44.5, 44.6, 44.7)):
        _ship(tmp_path, "h36m-modulated-gcn-fast" + (f"-seed{i}" if i else ""), _record("y", i, v))
    _ship(tmp_path, "h36m-semgcn-fast-seedling", _record("z", 9, 1.0))     # not a seed folder: ignored
    assert [r["config"]["seed"] for r in seed_records("h36m-semgcn-fast", tmp_path)] == [0, 1, 2]
    assert [n for n, _ in seed_runs("h36m-semgcn-fast", tmp_path)] == [
        "h36m-semgcn-fast", "h36m-semgcn-fast-seed1", "h36m-semgcn-fast-seed2"]
    s = lb.seed_summary("h36m-semgcn-fast", results_dir=tmp_path)
    assert s["n"] == 3 and s["mean"] == pytest.approx(44.0) and s["sd"] == pytest.approx(1.0)
    assert s["se"] == pytest.approx(1 / math.sqrt(3))
    d = lb.difference("h36m-modulated-gcn-fast", "h36m-semgcn-fast", results_dir=tmp_path)
    assert d["difference"] == pytest.approx(0.6) and d["exceeds_two_se"] is False     # 0.6 < 2 x 0.59
    assert lb.difference("h36m-semgcn-fast", "h36m-gat", results_dir=tmp_path) is None
    _ship(tmp_path, "h36m-gat", _record("g", 0, 140.0))
    one = lb.difference("h36m-gat", "h36m-semgcn-fast", results_dir=tmp_path)
    assert one["se"] is None and one["exceeds_two_se"] is None    # one seed: no standard error to compare with


def test_seed_table_lists_each_seed_and_the_mean(tmp_path):
    for i, v in enumerate((43.0, 44.0, 45.0)):
        _ship(tmp_path, "h36m-semgcn-1h" + (f"-seed{i}" if i else ""), _record("x", i, v))
    table = lb.seed_table_markdown(["h36m-semgcn-1h", "h36m-resgcn-1h"], results_dir=tmp_path).splitlines()
    assert table[2] == "| h36m-semgcn-1h | 3 | 43.0, 44.0, 45.0 | 44.0 ± 1.0 | 0.58 | 33.0 ± 0.8 |"
    assert table[3].startswith("| h36m-resgcn-1h | 0 | not shipped |")
    assert len(lb.seed_table_markdown(results_dir=tmp_path).splitlines()) == 2 + len(lb.SEED_EXPERIMENTS)


def test_claims_report_ours_beside_the_published_difference(tmp_path):
    assert lb.published_difference("h36m-semgcn-no-nonlocal-1h", "h36m-semgcn-1h") == pytest.approx(
        {"paper": 52.5 - 43.8, "official code": 42.14 - 40.78})
    assert lb.published_difference("h36m-semgcn-1h", "h36m-modulated-gcn-1h") == {}
    assert lb.published_difference("h36m-semgcn-1h", "h36m-semgcn-warmup-1h") == {}  # a recipe, not a network
    a, b = "h36m-semgcn-no-nonlocal-1h", "h36m-semgcn-1h"
    text = lb.claim_report("non-local", a, b, results_dir=tmp_path).splitlines()
    assert text == ["non-local", f"    ours: {a}, {b} not shipped yet",
                    "    published, P1: paper +8.7 mm, official code +1.4 mm"]
    for i, (va, vb) in enumerate(((45.0, 43.0), (45.5, 43.4), (44.5, 42.6))):
        _ship(tmp_path, a + (f"-seed{i}" if i else ""), _record("a", i, va))
        _ship(tmp_path, b + (f"-seed{i}" if i else ""), _record("b", i, vb))
    report = lb.claim_report("non-local", a, b, results_dir=tmp_path).splitlines()
    assert report[1].startswith("    ours, P1: +2.0 ± 0.") and "(seeds 3 and 3), exceeds two standard errors" in report[1]
    assert report[2].startswith("    ours, P2: +1.5 ± 0.")     # the records' P2 is 0.75 x P1
    assert all(len(line) <= 84 for line in report)
    assert {n for _, *names in lb.CLAIMS for n in names} <= set(EXPERIMENTS)   # every claim names experiments


def test_time_to_accuracy_sums_cpu_seconds_and_estimates_older_records():
    rec = _record("r", 0, 43.0)
    t = lb.time_to_accuracy(rec, 35.0)
    assert (t["reached"], t["epoch"], t["steps"], t["cpu_seconds"], t["estimated"]) == (True, 3, 3000, 330.0, False)
    assert lb.time_to_accuracy(rec, 50.0)["cpu_seconds"] == 210.0
    assert lb.time_to_accuracy(rec, 20.0)["reached"] is False
    old = _record("old", 0, 43.0, cpu=None)
    assert lb.time_to_accuracy(old, 35.0)["cpu_seconds"] is None
    per_step = lb.cpu_seconds_per_step(rec)
    assert per_step == pytest.approx(0.11)
    est = lb.time_to_accuracy(old, 35.0, per_step)
    assert est["estimated"] and est["cpu_seconds"] == pytest.approx(330.0)
    with pytest.raises(ValueError, match="target"):
        lb.time_to_accuracy(rec, -1)


def test_schedule_in_words_names_annealing_and_weight_averaging():
    assert lb._schedule({"lr_schedule": "step", "anneal_epochs": 1}) == "step, the last 1 epoch annealed to zero"
    assert lb._schedule({"lr_schedule": "step", "average_epochs": 2}) == \
        "step, the weights of the last 2 epochs averaged"
    assert lb._schedule({"lr_schedule": "plateau"}) == "plateau"      # records from before either existed


def test_time_to_accuracy_table_names_the_schedule_and_its_warmup(tmp_path):
    _ship(tmp_path, "h36m-semgcn-1h", _record("a", 0, 43.0))
    warm = _record("b", 0, 42.0)
    warm["config"]["warmup_epochs"] = 1.0
    _ship(tmp_path, "h36m-semgcn-warmup-1h", warm)
    rows = lb.time_to_accuracy_rows([str(tmp_path / n) for n in ("h36m-semgcn-1h", "h36m-semgcn-warmup-1h")], 35.0)
    assert [r["schedule"] for r in rows] == ["cosine", "cosine after 1 warm-up epoch"]
    _ship(tmp_path, "h36m-semgcn-warmup-1h-seed1", _record("c", 1, 41.0))
    table = lb.time_to_accuracy_markdown(["h36m-semgcn-warmup-1h", "h36m-semgcn-warmup-1h-seed1"], 35.0,
                                         results_dir=tmp_path).splitlines()
    # a seed's run is named by its experiment and seed, so that the narrow column can wrap between them
    assert table[2].startswith("| `h36m-semgcn-warmup-1h` |") and table[3].startswith("| `h36m-semgcn-warmup-1h` seed 1 |")


def test_leaderboard_shows_only_shipped_rows_of_ours_and_marks_test_set_selection(tmp_path):
    _ship(tmp_path, "h36m-semgcn", _record("h36m-semgcn", 0, 43.6))
    rows = lb.leaderboard_rows(tmp_path)
    ours = [r for r in rows if r["ours"]]
    assert [r["experiment"] for r in ours] == ["h36m-semgcn"]
    assert ours[0]["p1_gt"] == "43.6" and ours[0]["selection"] == "validation" and ours[0]["seeds"] == "1"
    official = next(r for r in rows if r["method"] == "SemGCN (official code)")
    assert official["selection"] == "test ⚠" and official["p1_gt"] == "40.78" and official["source"] == "SemGCN README"
    md = lb.leaderboard_markdown(tmp_path)
    assert sum(line.startswith("| 1 |") for line in md.splitlines()) == 2 and "selected on" in md and "Modulated GCN (released checkpoint)" in md
    numbers = [float(line.split("|")[5]) for line in md.split("\n\n")[0].splitlines()[2:]
               if line.split("|")[5].strip() not in ("–",)]
    assert numbers == sorted(numbers)     # ordered by Protocol #1 with ground-truth 2D


def test_time_to_accuracy_command_reads_record_files_and_refuses_others(tmp_path):
    from test_train import _cli
    good = tmp_path / "run"
    good.mkdir()
    (good / "record.json").write_text(json.dumps(_record("fast", 0, 43.0)))
    r = _cli("time-to-accuracy", str(good), "--target", "35")
    assert r.returncode == 0, r.stderr
    assert "| `fast` | cosine | 3 | epoch 3 (3,000 steps) | 6 | 6 | 43.00 |" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"history": 5}')
    r = _cli("time-to-accuracy", str(bad), "--target", "41")
    assert r.returncode == 2 and "bad.json: not a training record" in r.stderr and len(r.stderr.splitlines()) == 1
    r = _cli("time-to-accuracy", str(good), "--target", "nan")
    assert r.returncode == 2 and "--target" in r.stderr


def test_a_monitored_run_adds_its_test_selected_epoch_as_a_marked_row_of_ours(tmp_path):
    """A run trained with monitor_test gets a second row: the epoch the test subjects would have chosen,
    marked "test ⚠" like the published rows chosen that way; without that record entry there is no row."""
    name = lb.OURS_TEST_SELECTED[0][1]
    record = _record(name, 0, 40.0)
    _ship(tmp_path, name, {k: v for k, v in record.items()})
    assert not [r for r in lb.leaderboard_rows(tmp_path) if r["ours"]]   # no test_selected_on_test: no row
    (tmp_path / name / "record.json").write_text(json.dumps(
        {**record, "test_selected_on_test": {"epoch": 7, "mpjpe": 38.9, "p_mpjpe": 30.2}}))
    row = next(r for r in lb.leaderboard_rows(tmp_path) if r["ours"])
    assert (row["p1_gt"], row["p2_gt"], row["selection"], row["test_selected"]) == ("38.9", "30.2",
                                                                                    "test ⚠ (epoch 7)", True)
    assert "| test ⚠ (epoch 7) |" in lb.leaderboard_markdown(tmp_path)
    import matplotlib
    matplotlib.use("Agg")
    ax = lb.plot_leaderboard(results_dir=tmp_path)
    assert "ours, epoch chosen on the test subjects" in [t.get_text() for t in ax.get_legend().get_texts()]
    # a second seed: the row pools both (mean ± sd), lists each seed's chosen epoch and counts the seeds
    _ship(tmp_path, name + "-seed1", {**_record(name, 1, 41.0),
                                      "test_selected_on_test": {"epoch": 5, "mpjpe": 39.9, "p_mpjpe": 31.2}})
    row = next(r for r in lb.leaderboard_rows(tmp_path) if r["ours"] and r.get("test_selected"))
    assert (row["p1_gt"], row["p2_gt"], row["selection"], row["seeds"]) == ("39.4 ± 0.7", "30.7 ± 0.7",
                                                                             "test ⚠ (epochs 7, 5)", "2")
    assert row["p1_gt_mean"] == 39.4 and abs(row["p1_gt_sd"] - 0.7071) < 1e-3


def test_model_selection_plot_marks_both_choices_and_refuses_an_unmonitored_record():
    import matplotlib
    matplotlib.use("Agg")
    record = {**_record("m", 0, 41.0, vals=(60.0, 30.0, 31.0)), "best_epoch": 2}
    with pytest.raises(ValueError, match="no test error for every epoch"):
        lb.plot_model_selection(record)
    record["history"].update(epoch=[1, 2, 3], test_mpjpe=[70.0, 41.0, 39.5], test_p_mpjpe=[50.0, 31.0, 30.0])
    ax = lb.plot_model_selection(record)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "chosen on validation: epoch 2, test 41.0 mm" in labels and "chosen on test: epoch 3, 39.5 mm" in labels


def test_a_checkpoint_scored_by_evaluate_is_a_row_marked_with_its_own_selection(tmp_path):
    """The modulated GCN's released checkpoint scored by `evaluate --json`: a row not of ours, chosen on the test
    subjects by its authors' script, its epoch read from the numbers the file states; a malformed record is
    refused in one line naming it."""
    label, rel, _ = lb.SCORED_ELSEWHERE[0]
    assert label not in [r["method"] for r in lb.leaderboard_rows(tmp_path)]   # absent: no row
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text(json.dumps({"mpjpe": 38.03, "p_mpjpe": 29.98, "parameters": 287923,
                                            "provenance": {"checkpoint_states": {"epoch": 6, "step": 146232}}}))
    row = next(r for r in lb.leaderboard_rows(tmp_path) if r["method"] == label)
    assert (row["ours"], row["p1_gt"], row["p2_gt"], row["params"], row["epochs"], row["selection"]) == (
        False, "38.0", "30.0", "0.29M", "6", "test ⚠")
    assert row["test_selected"] and rel in row["source"]
    (tmp_path / rel).write_text(json.dumps({"mpjpe": 38.0}))
    with pytest.raises(ValueError, match="not a record of `python -m semgcn evaluate --json`") as err:
        lb.leaderboard_rows(tmp_path)
    assert "\n" not in str(err.value)
