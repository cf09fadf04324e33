"""The HTML report: every section present, figures embedded and saved, missing inputs explained.

Most tests feed the report a synthetic comparison (``conftest_browser.fake_comparison``) and the
analyses' real result classes computed on toy problems, so they check the report, not the model;
``test_report_with_the_real_comparison`` runs the real engine when it is part of the build.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest_browser import fake_comparison
from fentsim.cli import main
from fentsim.report import SECTIONS, ReportOptions, build_report, inputs
from fentsim.report import figures as fig
from fentsim.report.inputs import Unavailable

NAMES = ("status-quo", "essay", "public-health")


def toy_sensitivity(*args, **kwargs):
    from fentsim.analysis.sensitivity import sobol_indices

    res = sobol_indices(
        lambda X: X[:, 0] + 0.3 * X[:, 1] ** 2, ["od_rate", "potency"], samples=64, seed=1
    )
    res.meta["label"] = "averted 2026–2035, essay vs status-quo"
    return res


def toy_discovery(*args, **kwargs):
    from fentsim.analysis.prim import prim

    rng = np.random.default_rng(0)
    X = rng.random((800, 3))
    res = prim(X, (X[:, 0] > 0.6) & (X[:, 2] < 0.5), ["cartel_resilience", "x1", "cooperation"])
    res.meta = {"question": "essay averts at least 10% of deaths", "share_of_interest": 0.2}
    return res


def toy_claims(*args, **kwargs):
    from fentsim.analysis.claims import evaluate

    return [r.to_dict() for r in evaluate(use_model=False)]


@pytest.fixture
def analyses(monkeypatch):
    monkeypatch.setattr(inputs, "sensitivity", toy_sensitivity)
    monkeypatch.setattr(inputs, "scenario_discovery", toy_discovery)
    monkeypatch.setattr(inputs, "claims_audit", toy_claims)


@pytest.fixture(scope="module")
def report():
    comp = fake_comparison(NAMES, runs=60, seed=2)
    return build_report(ReportOptions(NAMES, runs=60, seed=2, analyses=False), comparison=comp)


def test_every_section_is_present_in_order(report):
    anchors = re.findall(r'<section id="([a-z]+)"', report.html)
    assert anchors == [a for a, _ in SECTIONS]
    for anchor, heading in SECTIONS:
        assert f'href="#{anchor}"' in report.html and heading in report.html


def test_report_is_self_contained(report):
    html = report.html
    assert html.count("data:image/png;base64,") == len(report.figures) >= 6
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_result_sections_show_numbers_with_intervals(report):
    html = report.html
    assert {
        "deaths_fan.png",
        "deaths_averted.png",
        "cost_per_death_averted.png",
        "violence.png",
        "supply.png",
    } <= set(report.figures)
    table = html[html.index('<table class="comparison">') :]
    assert table.count('<span class="iv">') >= 20
    for name in NAMES:
        assert f"<td>{name}</td>" in table
    assert "seed 2" in html and "spec hash" in html


def test_spec_sections_come_from_the_registry_and_catalogue(report):
    from fentsim import data
    from fentsim.params import load_registry

    html = report.html
    params = html[html.index('id="parameters"') : html.index('id="provenance"')]
    reg = load_registry()
    assert f"{len(reg):,} parameters" in params
    first = next(iter(reg.values()))
    assert first.name in params
    provenance = html[html.index('id="provenance"') : html.index('id="reproducibility"')]
    for ds in data.datasets():
        assert ds.name in provenance


def test_sections_without_inputs_say_why():
    rep = build_report(
        ReportOptions(NAMES, runs=10, analyses=False),
        comparison=Unavailable("compare is not built"),
    )
    assert rep.html.count("not available: compare is not built") >= 5
    assert rep.missing["overview"] == "compare is not built"
    assert "parameters" not in rep.missing  # the registry does not need a comparison
    assert 'id="reproducibility"' in rep.html and "Sections not available" in rep.html


def test_a_failing_section_does_not_sink_the_report(monkeypatch):
    from fentsim.report import build

    def boom(ctx):
        raise RuntimeError("kaboom")

    builders = tuple((a, h, boom if a == "supply" else b) for a, h, b in build.SECTIONS_BUILDERS)
    monkeypatch.setattr(build, "SECTIONS_BUILDERS", builders)
    rep = build_report(
        ReportOptions(NAMES, runs=10, analyses=False), comparison=fake_comparison(NAMES)
    )
    assert "kaboom" in rep.missing["supply"] and 'id="violence"' in rep.html


def test_analyses_sections_use_the_analysis_results(analyses):
    rep = build_report(
        ReportOptions(NAMES, runs=60, seed=2), comparison=fake_comparison(NAMES, runs=60)
    )
    assert {"sensitivity", "discovery", "claims"}.isdisjoint(rep.missing), rep.missing
    assert {"sensitivity_tornado.png", "scenario_discovery.png"} <= set(rep.figures)
    html = rep.html
    claims = html[html.index('id="claims"') : html.index('id="methods"')]
    from fentsim.analysis.claims import evaluate

    for r in evaluate(use_model=False):
        assert f"<td>{r.id}</td>" in claims
        assert r.verdict in claims
        if r.computed is not None:  # each verdict is shown with the value computed for it
            row = claims[claims.index(f"<td>{r.id}</td>") :].split("</tr>")[0]
            assert re.search(r"\d", row.split("</span>")[1]), row
    assert "cartel_resilience" in html[html.index('id="discovery"') :]


def test_names_are_escaped():
    names = ("status-quo", "<b>x</b>")
    rep = build_report(
        ReportOptions(names, runs=10, analyses=False), comparison=fake_comparison(names)
    )
    assert "<b>x</b>" not in rep.html and "&lt;b&gt;x&lt;/b&gt;" in rep.html


def test_figures_are_png():
    comp = fake_comparison(NAMES)
    assert fig.png(fig.fan_chart(comp.results, "opioid_deaths", "deaths")).startswith(b"\x89PNG")
    stats = {"a": {"mean": 1.0, "p05": 0.5, "p95": 2.0}, "b": None}
    assert fig.png(fig.interval_bars(stats, "t", "x")).startswith(b"\x89PNG")
    assert fig.png(
        fig.tornado(["p", "q"], [("ST", [0.5, 0.1], [0.05, 0.02])], "t", "x")
    ).startswith(b"\x89PNG")


def test_cli_writes_html_and_pngs(tmp_path, monkeypatch, capsys, analyses):
    monkeypatch.setattr(
        inputs,
        "run_comparison",
        lambda p, runs, seed, window, *a, **k: fake_comparison(p, runs, seed, window),
    )
    out, pngs = tmp_path / "r" / "report.html", tmp_path / "png"
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "report",
                "-p",
                "status-quo,essay",
                "-p",
                "public-health",
                "--runs",
                "30",
                "--seed",
                "4",
                "--out",
                str(out),
                "--png-dir",
                str(pngs),
            ]
        )
    assert exit_.value.code in (0, None)
    html = out.read_text()
    assert "status-quo, essay, public-health · 30 runs · seed 4" in html
    saved = {p.name for p in pngs.iterdir()}
    assert {"deaths_fan.png", "sensitivity_tornado.png"} <= saved
    assert all((pngs / n).read_bytes().startswith(b"\x89PNG") for n in saved)
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "--runs"),
        (["--seed", "-1"], "--seed"),
        (["--from", "2030", "--to", "2026"], "window"),
        (["--exposure", "nope"], "--exposure"),
    ],
)
def test_cli_refuses_bad_options(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--out", str(tmp_path / "x.html"), *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_report_with_the_real_comparison(tmp_path):
    pytest.importorskip("fentsim.analysis.compare")
    rep = build_report(
        ReportOptions(("status-quo", "public-health"), runs=16, seed=1, analyses=False)
    )
    assert "overview" not in rep.missing and "deaths" not in rep.missing, rep.missing
    assert "deaths_fan.png" in rep.figures
    rep.write(tmp_path / "report.html")
