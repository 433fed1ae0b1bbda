"""The benchmark harness, end to end at tiny sizes, so it keeps working between real runs.

It starts the real ``hustings serve`` and the hello-world baseline, drives every scenario
(throughput with wrk or the Python fallback, the stampede with its database check, the
instructor pages with the gradebook's memory measurement) and writes the results files. The
figures themselves are not checked: at these sizes they mean nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_writes_every_figure(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    markdown = (tmp_path / "latest.md").read_text()
    assert "| quiz page |" in markdown and "Exam-start stampede" in markdown

    throughput = result["throughput"]
    for name in ("hello", "quiz_page", "autosave", "submit"):
        assert throughput[name]["requests"] > 0, name
        assert throughput[name]["errors"] == 0, (name, throughput[name])
        assert throughput[name]["ratio"] > 0
    assert throughput["hello"]["ratio"] == 1.0

    stampede = result["stampede"]
    assert stampede["errors"] == 0, stampede["error_samples"]
    assert stampede["finished"] == stampede["students"]
    assert stampede["saves"] == 20 * stampede["students"]
    assert stampede["lost_answers"] == 0 and stampede["not_submitted"] == 0

    instructor = result["instructor"]
    for page in ("results", "item_analysis", "mastery"):
        assert instructor[page]["median_ms"] > 0
    gradebook = instructor["gradebook"]
    assert gradebook["lines"] == instructor["course"]["students"] + 1
    assert gradebook["peak_growth_mb"] >= 0
