"""The report's pieces: charts of each kind of figure data, epoch series from CSV logs, the HTML page."""

import math
import re
from pathlib import Path

import numpy as np
from PIL import Image

from otx.core.model.figures import ClassBars, ConfusionCounts, PRCurves
from otx.engine.html_report import ReportPage, ReportTable, render_report, write_report
from otx.engine.plots.charts import curves_chart, figure_charts, save_png
from otx.engine.plots.logs import epoch_series

HOSTILE = '<img src=x onerror="alert(1)">$\\alpha$ & co'
"""A label that is HTML, matplotlib math and an entity at once."""


def test_each_kind_of_figure_data_becomes_readable_pngs(tmp_path: Path) -> None:
    labels = ("cat", HOSTILE)
    data = [
        ConfusionCounts(labels=labels, counts=((3, 1), (0, 4))),
        PRCurves(
            title="box precision-recall at IoU 0.5",
            labels=labels,
            recall=((0.0, 0.5, 1.0), ()),
            precision=((1.0, 0.8, 0.5), ()),
            ap=(0.77, math.nan),
        ),
        ClassBars(title="IoU per class", labels=labels, values=(0.5, math.nan)),
    ]
    charts = [chart for piece in data for chart in figure_charts(piece)]
    assert [stem for stem, _, _ in charts] == [
        "confusion_matrix",
        "confusion_matrix_normalized",
        "box_precision_recall_at_iou_0_5",
        "iou_per_class",
    ]
    for stem, _, figure in charts:
        with Image.open(save_png(figure, tmp_path / f"{stem}.png")) as image:
            assert image.width > 300 and image.height > 200
            assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) > 20  # drawn, not blank


def test_epoch_series_averages_steps_and_takes_a_resumed_log_over_the_first(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "metrics.csv").write_text(
        "epoch,step,train/epoch_loss,train/loss,val/accuracy\n0,1,,2.0,\n0,3,,1.0,\n0,3,1.4,,\n0,3,,,0.5\n1,5,,,0.25\n"
    )
    (tmp_path / "logs_2").mkdir()
    (tmp_path / "logs_2" / "metrics.csv").write_text("epoch,step,val/accuracy\n1,5,0.75\n2,7,nan\n")
    series = epoch_series(tmp_path)
    assert series["train/loss"] == {0: 1.5}
    assert series["train/epoch_loss"] == {0: 1.4}
    assert series["val/accuracy"] == {0: 0.5, 1: 0.75}
    figure = curves_chart(series, ("cat",), epochs=2)
    assert figure is not None
    assert [axes.get_title() for axes in figure.axes] == ["training loss", "validation metrics"]
    assert curves_chart(series, ("cat",), epochs=0) is None


def test_the_page_escapes_every_text_and_needs_nothing_outside_it(tmp_path: Path) -> None:
    png = save_png(figure_charts(ClassBars(title="AP", labels=("a",), values=(1.0,)))[0][2], tmp_path / "a.png")
    page = ReportPage(
        title=f"run on {HOSTILE}",
        choices=(f"data: {HOSTILE} (detected)",),
        tables=(ReportTable(title="Metrics", header=("metric", "value"), rows=((f"val/AP_{HOSTILE}", 0.5),)),),
        images=((HOSTILE, png),),
    )
    html = render_report(page)
    assert "onerror" not in html.replace("onerror=&quot;", "")  # only ever as escaped text
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") == 6  # title x2, choice, row, alt, caption
    assert not re.search(r'(?:src|href)="(?!data:)|url\(|@import|<link|<script', html)  # nothing to fetch or run
    assert html.count('src="data:image/png;base64,') == 1
    assert "0.5000" in html
    assert write_report(page, tmp_path / "report.html").read_text(encoding="utf-8") == html
