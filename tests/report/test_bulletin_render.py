"""What the office sees: the 通报 draft converted by LibreOffice to PDF (A4, the title and the page
number on page one) and its first page to PNG with pdftoppm, kept in test-artifacts/ to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grassroots import contract, metrics
from grassroots.report import bulletin
from tests.samples.bulletin import AS_OF, populate

pytest_plugins = ("tests.samples.databases",)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FIRST_PAGE = ARTIFACTS / "bulletin_page1.png"
TOOLS = ("soffice", "pdftoppm", "pdfinfo", "pdftotext")


def _missing() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@pytest.mark.skipif(bool(_missing()), reason="LibreOffice or poppler-utils not installed (make system-deps: "
                                            "libreoffice-writer-nogui, poppler-utils)")
@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_the_first_page_renders_as_an_official_document(engine, tmp_path):
    populate(engine)
    figures = metrics.compute(engine, AS_OF, period="month")
    draft, data = bulletin.build(engine, figures, period="month", scope=contract.SCOPE_CITY)
    docx = tmp_path / "bulletin.docx"
    docx.write_bytes(data)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "bulletin.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", first)
    assert re.sub(r"\s+", "", draft.title) in flat and "一、聚焦大局所需" in flat
    assert "—1—" in flat

    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(FIRST_PAGE.with_suffix(""))], check=True, capture_output=True, timeout=120)
    assert FIRST_PAGE.stat().st_size > 10_000
