"""The SVG charts: real bars with values and labels, accessible, escaped, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.domain import charts, statistics

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own output, not untrusted input


def test_distribution_chart_has_a_bar_and_label_per_band() -> None:
    bins = statistics.score_distribution([5, 15, 15, 55, 100, 99.5])
    svg = _parse(
        charts.distribution_chart([(b.label, b.count) for b in bins], title="Scores: Quiz 1")
    )
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Scores: Quiz 1"
    desc = svg.find(f"{SVG}desc").text
    assert "6 students" in desc and "10–20%: 2 students" in desc and "90–100%: 2 students" in desc
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert [b.get("data-label") for b in bars] == [b.label for b in bins]
    assert [b.get("data-value") for b in bars] == ["1", "2", "0", "0", "0", "1", "0", "0", "0", "2"]
    labels = [t.text for t in svg.findall(f".//{SVG}text[@class='bar-label']")]
    values = [t.text for t in svg.findall(f".//{SVG}text[@class='bar-value']")]
    assert labels == [b.label for b in bins] and values == [str(b.count) for b in bins]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == max(heights) == heights[9] and heights[2] == 0
    assert heights[0] * 2 == heights[1]


def test_no_inline_style_and_no_script() -> None:
    out = str(charts.distribution_chart([("0–10%", 3)], title="t")) + str(
        charts.mastery_chart([("inference", 40.0, "2 of 5 points", True)], title="m")
    )
    assert "style=" not in out and "<script" not in out and "on" + "load" not in out


def test_mastery_chart_marks_weakest_in_words_and_pattern() -> None:
    svg = _parse(
        charts.mastery_chart(
            [
                ("inference", 40.0, "2 of 5 points", True),
                ("literal comprehension", 90.0, "9 of 10 points", False),
                ("rhetoric and tone", None, "0 of 0 points", False),
            ],
            title="Skills",
        )
    )
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert [b.get("data-label") for b in bars] == [
        "inference",
        "literal comprehension",
        "rhetoric and tone",
    ]
    assert bars[0].get("fill").startswith("url(#") and not bars[1].get("fill").startswith("url(")
    values = [t.text for t in svg.findall(f".//{SVG}text[@class='bar-value']")]
    assert values == ["40% · weakest", "90%", "no data"]
    assert float(bars[1].get("width")) == 270.0 and float(bars[2].get("width")) == 0.0
    assert "among the weakest" in svg.find(f"{SVG}desc").text


def test_labels_and_titles_are_escaped() -> None:
    evil = '<script>alert(1)</script>"&'
    out = str(charts.mastery_chart([(evil, 50.0, evil, False)], chart_id='x"y', title=evil))
    assert "<script>" not in out and 'x"y' not in out
    svg = _parse(out)  # still well-formed XML
    assert svg.find(f"{SVG}title").text == evil


def test_empty_charts_render() -> None:
    assert _parse(charts.distribution_chart([], title="none")).get("role") == "img"
    assert "No answers yet" in str(charts.mastery_chart([], title="none"))
