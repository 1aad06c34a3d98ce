"""SVG charts: well-formed XML, sizes proportional to the values, text escaped and kept NFC."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET

import pytest

from evaluation import charts
from evaluation.charts import Series

NS = {"svg": charts.SVG_NS}
SO_TAI_CHINH = "Sở Tài chính"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # noqa: S314 (our own output)
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    return root


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{{{charts.SVG_NS}}}rect") if r.get("class") == cls]


def test_bar_heights_are_proportional_to_the_values():
    root = parse(charts.bar_chart(["a", "b", "c", "d"], [10, 5, 0, 2.5], title="t"))
    bars = rects(root, "bar")
    heights = [float(b.get("height")) for b in bars]
    assert [float(b.get("data-value")) for b in bars] == [10, 5, 0, 2.5]
    assert heights[0] == pytest.approx(2 * heights[1]) == pytest.approx(4 * heights[3])
    assert heights[2] == 0
    # Bars stand on the same baseline.
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 2) for b in bars}
    assert len(bottoms) == 1


def test_none_draws_no_bar_and_lengths_must_match():
    root = parse(charts.bar_chart(["a", "b"], [None, 3], title="t"))
    assert len(rects(root, "bar")) == 1
    with pytest.raises(ValueError):
        charts.bar_chart(["a"], [1, 2], title="t")
    with pytest.raises(ValueError):
        charts.stacked_bar_chart(["a", "b"], [Series("A", [1])], title="t")
    with pytest.raises(ValueError):
        charts.line_chart(["a", "b"], [Series("A", [1])], title="t")


def test_labels_titles_and_links_are_escaped():
    nasty = '<script>alert("x")</script> & Co'
    link = "/dashboards/list/?period=2025-11&unit=STC&grade=A"
    markup = charts.bar_chart([nasty], [1], title=f"{nasty} title", links=[link])
    assert "<script>" not in markup
    root = parse(markup)
    assert root.find("svg:title", NS).text == f"{nasty} title"
    assert root.get("aria-label") == f"{nasty} title"
    (anchor,) = root.iter(f"{{{charts.SVG_NS}}}a")
    assert anchor.get("href") == link
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert any(nasty in t for t in texts)


def test_vietnamese_text_is_kept_nfc():
    decomposed = unicodedata.normalize("NFD", SO_TAI_CHINH)
    assert decomposed != SO_TAI_CHINH
    markup = charts.stacked_bar_chart(
        [decomposed], [Series(decomposed, [3]), Series("Hoàn thành tốt", [1])], title=decomposed
    )
    assert SO_TAI_CHINH in markup and decomposed not in markup
    root = parse(markup)
    assert root.find("svg:title", NS).text == SO_TAI_CHINH
    assert unicodedata.is_normalized("NFC", markup)


def test_stacked_segments_add_up_to_the_totals_first_series_at_the_bottom():
    series = [Series("A", [1, 0, 2], links=["/a1", None, "/a3"]), Series("B", [3, 4, 2])]
    root = parse(charts.stacked_bar_chart(["x", "y", "z"], series, title="t"))
    segments = rects(root, "segment")
    assert [(s.get("data-series"), s.get("data-value")) for s in segments] == [
        ("A", "1"),
        ("B", "3"),
        ("B", "4"),
        ("A", "2"),
        ("B", "2"),
    ]
    per_bar: dict[str, float] = {}
    for s in segments:
        per_bar[s.get("x")] = per_bar.get(s.get("x"), 0) + float(s.get("height"))
    assert len({round(h, 1) for h in per_bar.values()}) == 1  # totals 4, 4, 4: same height
    first_a, first_b = segments[0], segments[1]
    assert float(first_a.get("y")) > float(first_b.get("y"))  # A below B
    assert float(first_b.get("height")) == pytest.approx(3 * float(first_a.get("height")))
    assert len(list(root.iter(f"{{{charts.SVG_NS}}}a"))) == 2


def test_line_breaks_on_missing_values_and_draws_the_reference():
    root = parse(
        charts.line_chart(
            ["01", "02", "03", "04", "05"],
            [Series("A", [0.1, 0.2, None, 0.3, 0.4])],
            title="t",
            percent=True,
            reference=(0.3, "30%"),
        )
    )
    polylines = list(root.iter(f"{{{charts.SVG_NS}}}polyline"))
    assert len(polylines) == 2
    points = list(root.iter(f"{{{charts.SVG_NS}}}circle"))
    assert [p.get("data-value") for p in points] == ["0.1", "0.2", "0.3", "0.4"]
    (reference,) = [line for line in root.iter(f"{{{charts.SVG_NS}}}line") if line.get("class") == "reference"]
    # The 30% reference sits exactly at the height of the 0.3 point.
    assert float(reference.get("y1")) == pytest.approx(float(points[2].get("cy")), abs=0.01)
    labels = ["".join(t.itertext()) for t in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert {"0%", "25%", "50%"} <= set(labels)  # 40% at most: the axis stops at 50%


def test_empty_charts_are_still_valid():
    parse(charts.bar_chart([], [], title="t"))
    parse(charts.stacked_bar_chart([], [], title="t"))
    parse(charts.line_chart([], [], title="t"))


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (0.3, 0.5), (1, 1), (7, 10), (12, 20), (23, 25), (26, 50), (51, 100)]
)
def test_nice_max(value, expected):
    assert charts.nice_max(value) == pytest.approx(expected)
