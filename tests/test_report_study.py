"""The study's section of the comparison report, from study folders written by hand: the new
format (several designs, p_top, warnings and caveat, a calibrated world's fit table, a
configuration that failed in every draw) and the format written before designs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from framework.rendering.document import Document, Table, to_html, to_latex_table, to_markdown
from framework.report.study import sections
from framework.study.calibrate import MOMENT_LABELS, MOMENTS

CONFIGURATIONS = {"twfe": ["+variant=twfe"], "dml_fd": ["+variant=dml_fd_lightgbm"], "broken": ["+variant=broken"]}
SPECS = {"baseline": ["+column=t2c1"]}
ERROR = "ValueError: the learner could not be fitted because " + "the design matrix is singular " * 10


def _row(design, configuration, rank, verdict, p_top, bias=0.01, coverage=0.94, truth=0.2, **extra) -> dict:
    return {"design": design, "configuration": configuration, "spec": "baseline", "term": "treatment", "runs": 20, "ok": 20,
            "failure_rate": 0.0, "truth_mean": truth, "estimate_mean": truth + bias, "bias": bias, "bias_mcse": 0.01, "rmse": 0.05,
            "coverage": coverage, "coverage_mcse": 0.05, "width": 0.2, "sign_sig": 0.8, "se_mean": 0.05, "sd_estimate": 0.05,
            "se_ratio": 1.0, "unconverged": None, "runtime_mean_s": 0.4, "first_error": None, "bias_z": bias / 0.01,
            "verdict": verdict, "rank": rank, "p_top": p_top, **extra}


def _failed(design, rank) -> dict:
    gone = {k: None for k in ("truth_mean", "estimate_mean", "bias", "bias_mcse", "rmse", "coverage", "coverage_mcse", "width",
                               "sign_sig", "se_mean", "sd_estimate", "se_ratio", "bias_z", "runtime_mean_s")}
    return {**_row(design, "broken", rank, "fails", 0.0), **gone, "ok": 0, "failure_rate": 1.0, "first_error": ERROR}


def _fit_table(tolerance=0.15) -> list[dict]:
    values = {"within_share_outcome": (0.30, 0.32), "within_share_treatment": (0.20, 0.21), "corr_between": (0.50, 0.10),
              "corr_within": (-0.10, -0.05), "corr_controls": (0.25, 0.30)}
    return [{"moment": m, "file": f, "world": w, "difference": w - f, "default_world": 0.4, "within_tolerance": abs(w - f) <= tolerance}
            for m, (f, w) in values.items()]


def _new_study(folder: Path) -> None:
    summary = pd.DataFrame([
        _row("calibrated", "twfe", 1, "trust", 0.8), _row("calibrated", "dml_fd", 2, "undercovers", 0.2, coverage=0.7), _failed("calibrated", 3),
        _row("structured", "dml_fd", 1, "trust", 0.65, truth=0.31, unconverged=0.25),
        _row("structured", "twfe", 2, "biased", 0.35, bias=0.2, truth=0.31),
        _failed("structured", 3),
    ])
    fit = _fit_table()
    calibration = {"knobs": {"n_cities": 30, "start_year": 2012, "end_year": 2019, "confounding": 0.5, "treatment_noise": 0.04, "outcome_noise": 0.04},
                   "units": {}, "moments": {r["moment"]: {"file": r["file"], "calibrated": r["world"], "default_world": 0.4} for r in fit},
                   "distance": 0.2, "fitted_knobs": ["confounding", "treatment_noise", "outcome_noise"], "tolerance": 0.15, "fit": fit}
    designs = [
        {"name": "calibrated", "assumptions": "The synthetic world with the file's shape.", "warnings": ["calibrated: the world misses your file"],
         "world": calibration["knobs"], "calibration": calibration},
        {"name": "structured", "assumptions": "Your units, periods, controls and treatment exactly.", "warnings": [], "effect": 0.31,
         "effect_source": "the file's own within estimate", "heterogeneity": 0.0, "effect_range": [0.31, 0.31],
         "fit": {"effect": 0.31, "controls_share": 0.42, "residual_sd": 0.051}, "residual_autocorrelation": 0.37, "balanced": True},
    ]
    meta = {
        "replications": 20, "seeds": [0, 19], "designs": designs, "configurations": CONFIGURATIONS, "specs": SPECS, "common": [],
        "world": calibration["knobs"], "calibration": calibration, "data": "panel.csv", "verdict": {}, "stability_resamples": 200,
        "n_jobs": 2, "wall_s": 90.0,
        "cost_per_draw_s": {"calibrated": {"twfe": 0.4, "dml_fd": 2.5, "broken": 0.1}, "structured": {"twfe": 0.3, "dml_fd": 2.1, "broken": 0.1}},
        "draw_s": {"calibrated": 0.8, "structured": 0.05},
        "recommendation": [
            "baseline, treatment: trust twfe (trusted on every design). broken failed in every draw of the calibrated design.",
            "Caveat: a design keeps what it can of your data but must invent the rest.",
            "Warning: calibrated: the world misses your file by more than 0.15 on 1 of 5 moments.",
        ],
    }
    folder.mkdir(parents=True)
    summary.to_csv(folder / "summary.csv", index=False)
    (folder / "study.json").write_text(json.dumps(meta))


def _old_study(folder: Path) -> None:
    rows = [{k: v for k, v in _row("world", name, rank, "trust", None).items() if k not in ("design", "p_top", "first_error", "unconverged")}
            for rank, name in enumerate(["twfe", "dml_fd"], start=1)]
    meta = {"replications": 10, "seeds": [0, 9], "configurations": {"twfe": [], "dml_fd": []}, "specs": SPECS, "common": [],
            "world": {"n_cities": 40, "confounding": 1.0}, "calibration": None, "data": "synthetic", "verdict": {}, "n_jobs": 1,
            "wall_s": 12.0, "cost_per_draw_s": {"twfe": 0.3, "dml_fd": 1.9}, "draw_s": 0.2,
            "recommendation": ["baseline, treatment: trust twfe (bias +0.010, coverage 94 %)."]}
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "summary.csv", index=False)
    (folder / "study.json").write_text(json.dumps(meta))


def _render(root: Path) -> tuple[list, str, str]:
    """The sections, and the report's HTML and Markdown as framework.report.build writes them."""
    parts = sections(root)
    doc = Document("Study", "test", parts)
    for table in doc.tables():
        to_latex_table(table)
    return parts, to_html(doc), to_markdown(doc)


def _tables(parts: list) -> dict[str, Table]:
    return {b.name: b for s in parts for b in s.blocks if isinstance(b, Table)}


def test_a_study_of_two_designs_shows_its_warnings_fit_and_rankings(tmp_path):
    _new_study(tmp_path / "study")
    parts, html, markdown = _render(tmp_path)
    assert [s.anchor for s in parts] == ["study-0"]
    for text in (html, markdown):
        assert "Before you trust this" in text
        assert "calibrated: the world misses your file by more than 0.15" in text
        assert "a design keeps what it can of your data" in text
        assert "The world calibrated to the file" in text
        assert "P(first)" in text
    # the warning and the caveat are set apart from the advice, after it
    blocks = parts[0].blocks
    leads = [getattr(b, "lead", "") for b in blocks]
    assert leads.index("Warning:") < leads.index("Caveat:") and all(b.kind == "warn" for b in blocks if getattr(b, "lead", "") in ("Warning:", "Caveat:"))
    advice = next(b for b in blocks if type(b).__name__ == "Bullets")
    assert all(not text.startswith(("Warning:", "Caveat:")) for _, text in advice.items)

    tables = _tables(parts)
    designs = tables["study-0-designs"]
    assert [r[0] for r in designs.rows] == ["calibrated", "structured"]
    structured = designs.rows[1]
    assert "0.3100" in structured[2] and "the file's own within estimate" in structured[2]
    assert "42 %" in structured[3] and "+0.37" in structured[3]
    assert "4 of 5 moments" in designs.rows[0][3]

    fit = tables["study-0-calibration"]
    assert [r[0] for r in fit.rows] == [MOMENT_LABELS[m] for m in MOMENTS]
    missed = [r for r in fit.rows if r[-1]]
    assert [r[0] for r in missed] == [MOMENT_LABELS["corr_between"]] and "misses" in missed[0][-1]

    for design in ("calibrated", "structured"):
        ranked = tables[f"study-0-baseline-treatment-{design}"]
        assert f"{design} design" in ranked.caption and "P(first)" in ranked.header
        broken = next(r for r in ranked.rows if r[1] == "broken")
        assert broken[2] == "fails" and broken[ranked.header.index("Failed")] == "100 %"
        note = next(n for n in ranked.notes if n.startswith("broken failed in every draw; first error:"))
        assert "singular" in note and len(note) < len(ERROR)
    assert tables["study-0-baseline-treatment-calibrated"].rows[0][:4] == ["1", "twfe", "trust", "80 %"]
    # the share of converged draws, for the configurations that report convergence
    structured = tables["study-0-baseline-treatment-structured"]
    converged = {r[1]: r[structured.header.index("Converged")] for r in structured.rows}
    assert converged["dml_fd"] == "75 %" and converged["twfe"] == "\u2014"
    assert any(n.startswith("Converged:") for n in structured.notes)
    assert not any(n.startswith("Converged:") for n in tables["study-0-baseline-treatment-calibrated"].notes)

    configurations = tables["study-0-configurations"]
    assert configurations.header[2:] == ["s / draw, calibrated", "s / draw, structured"]
    assert any(b.name == "study-0-bias" and "one marker per design" in b.caption for b in blocks if type(b).__name__ == "Figure")


def test_a_study_written_before_designs_still_renders(tmp_path):
    _old_study(tmp_path / "study")
    parts, html, _ = _render(tmp_path)
    tables = _tables(parts)
    assert "Monte Carlo study" in html and "Before you trust this" not in html
    assert [r[0] for r in tables["study-0-designs"].rows] == ["world"]
    ranked = tables["study-0-baseline-treatment-world"]
    assert "P(first)" not in ranked.header and [r[1] for r in ranked.rows] == ["twfe", "dml_fd"]
    assert tables["study-0-configurations"].rows[0] == ["twfe", "", "0.30"]


def test_old_and_new_studies_side_by_side_make_the_sweep_table(tmp_path):
    _old_study(tmp_path / "0" / "study")
    _new_study(tmp_path / "1" / "study")
    parts, html, _ = _render(tmp_path)
    sweep = _tables(parts)["study-sweep"]
    assert sweep.header[:3] == ["Configuration", "Design", "Spec: term"]
    assert ["broken", "structured", "baseline: treatment", "", "(fails)"] in sweep.rows
    assert "where each configuration breaks" in html
